// IMAP responses (RFC 3501 §7, RFC 9051 §7): status lines, and the string forms a
// server writes (atom, quoted string, literal, NIL) chosen so any octets survive.
// Pure functions appending to a caller's buffer; callable from any thread.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_RESPONSE_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_RESPONSE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::imap {

// "tag OK [CODE] text\r\n" (status "OK", "NO" or "BAD"); the code part is left out
// when `code` is empty. CR and LF in `text` become spaces.
std::string Tagged(std::string_view tag, std::string_view status, std::string_view code,
                   std::string_view text);
// "* text\r\n".
std::string Untagged(std::string_view text);
// "* OK [CODE] text\r\n", "* NO ...", "* BAD ...", "* BYE ...".
std::string UntaggedStatus(std::string_view status, std::string_view code, std::string_view text);
// "+ text\r\n": a continuation request.
std::string Continuation(std::string_view text);

// A quoted string when `s` is short 7-bit text without CR, LF or NUL, otherwise a
// literal "{n}\r\n" followed by the octets (RFC 3501 §4.3).
void AppendString(std::string* out, std::string_view s);
// "{n}\r\n" and the octets.
void AppendLiteral(std::string* out, std::string_view s);
// An atom when `s` is a non-empty atom other than NIL, otherwise AppendString.
// For mailbox names and other astrings.
void AppendAstring(std::string* out, std::string_view s);
// A mailbox name: AppendAstring, except that for a client that takes UTF-8 (`utf8`:
// ENABLE UTF8=ACCEPT, RFC 6855 §3, or IMAP4rev2, RFC 9051 §4.3) UTF-8 octets may go in
// a quoted string instead of a literal.
void AppendMailboxName(std::string* out, std::string_view name, bool utf8);
// NIL for a null value, otherwise AppendString.
void AppendNString(std::string* out, const std::string* s);

// True when `s` is non-empty and made of ATOM-CHARs only.
bool IsAtom(std::string_view s);

// INTERNALDATE in RFC 3501 date-time form, UTC: "17-Jul-1996 09:44:25 +0000"
// (day space-padded, as date-day-fixed), quoted.
std::string FormatInternalDate(int64_t unix_seconds);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_RESPONSE_H_
