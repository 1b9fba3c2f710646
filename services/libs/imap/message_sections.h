// The parts of a stored message that FETCH BODY[section] returns without MIME
// parsing (RFC 3501 §6.4.5): the header (with the blank line that ends it), the text
// after it, a header reduced to some fields, and <partial> ranges. Pure, on views
// into the caller's message.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_MESSAGE_SECTIONS_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_MESSAGE_SECTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::imap {

struct MessageParts {
  std::string_view header;  // up to and including the empty line
  std::string_view text;    // everything after it
};

// Splits at the first empty line (CRLF CRLF, or LF LF in a message stored with bare
// LFs). A message without one is all header and has an empty text.
MessageParts SplitMessage(std::string_view message);

// HEADER.FIELDS (`exclude` false) or HEADER.FIELDS.NOT (true): the fields of
// `header` whose names are (not) in `names` (upper-case), folded lines kept, in their
// order, followed by the blank line. Lines that are no field at all are dropped.
std::string FilterHeaderFields(std::string_view header, const std::vector<std::string>& names,
                               bool exclude);

// <offset.count> of `data`: empty when offset is past the end (RFC 3501 §6.4.5).
std::string_view PartialRange(std::string_view data, uint32_t offset, uint32_t count);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_MESSAGE_SECTIONS_H_
