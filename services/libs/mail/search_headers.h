// The header fields of a message as IMAP SEARCH reads them (RFC 3501 §6.4.4: HEADER,
// SUBJECT, FROM ... match a substring of the field, case-insensitively), prepared
// once at delivery and stored in mailstore.messages.header_fields (jsonb) so that
// mailbox-store answers header searches in SQL. Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_SEARCH_HEADERS_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_SEARCH_HEADERS_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace mail::mime {

// Stored values are cut off here: a match further into a longer header is missed.
inline constexpr size_t kMaxSearchHeaderBytes = 64 * 1024;

// The case-insensitive form both sides of a match are compared in: valid UTF-8 (invalid
// sequences become U+FFFD), every letter in lower case (Unicode simple case mapping:
// "Ä" and "ä", "Σ", "σ" and "ς" match), control characters (CR, LF, TAB, NUL ...) as
// spaces. No normalisation: a precomposed "é" does not match "e" + U+0301.
std::string FoldForSearch(std::string_view text);

// Whether `needle` occurs in `haystack` with case ignored as FoldForSearch does; for
// text already folded, fold only the needle and use find().
bool ContainsFolded(std::string_view haystack, std::string_view needle);

// A JSON object {"subject": "...", "received": "...\n...", ...}: each field of the
// header section `header` under its lower-case name, its value unfolded, RFC 2047
// encoded words decoded and folded as above; the values of repeated fields joined by
// "\n" (which no folded value contains). At most about kMaxSearchHeaderBytes.
std::string SearchHeaderJson(std::string_view header);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_SEARCH_HEADERS_H_
