// RFC 5322 header-section helpers over a raw message (CRLF line endings). Pure; any
// thread. Full MIME parsing lives elsewhere; these only look at the top-level header.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_HEADER_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_HEADER_H_

#include <cstddef>
#include <string_view>

namespace mail {

// The length of the header section including the empty line that ends it (or the
// whole message when there is no body separator).
size_t HeaderSectionLength(std::string_view message);

// True when the header section has a field named `name` (case-insensitive, RFC 5322
// §2.2); folded continuation lines are never mistaken for field names.
bool HasHeaderField(std::string_view message, std::string_view name);

}  // namespace mail

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_HEADER_H_
