// The IMAP string forms used in ENVELOPE and BODYSTRUCTURE (RFC 3501 §4.3, §4.5):
// NIL, quoted strings with escaping, and literals for 8-bit, CR or LF, chosen as
// Dovecot's imap-quote.c does so clients see the same bytes. Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_IMAP_STRING_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_IMAP_STRING_H_

#include <optional>
#include <string>
#include <string_view>

namespace mail::mime {

// A quoted string, or a literal "{n}\r\n..." when `s` holds 8-bit octets, CR, LF or
// more than four characters needing escapes. NUL octets (not allowed in a literal)
// become 0x80, as in Dovecot.
void AppendImapString(std::string* out, std::string_view s);
// NIL when absent.
void AppendImapNString(std::string* out, const std::optional<std::string>& s);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_IMAP_STRING_H_
