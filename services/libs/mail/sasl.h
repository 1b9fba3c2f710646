// SASL pieces shared by SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 3501 §6.2.2,
// RFC 4959) and POP3 AUTH (RFC 5034): strict base64 and the PLAIN mechanism's message
// (RFC 4616). The one decoder of credentials from the network; each protocol library
// re-exports it from its own sasl.h and keeps its framing ("=", "*", 334/+) itself.
// Pure functions; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_SASL_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_SASL_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail {

struct SaslPlainCredentials {
  std::string authzid;  // empty unless the client asks to act as someone else
  std::string authcid;  // the user name
  std::string password;
};

// RFC 4616 §2 wants authcid and passwd of up to 255 octets accepted; longer fields
// (up to this) are accepted too, anything past it is refused before it reaches a
// password hash.
inline constexpr size_t kMaxSaslPlainField = 1024;

// Decodes canonical base64 (RFC 4648 §4, padding required, no whitespace), as every
// SASL profile above demands. INVALID_ARGUMENT "Invalid base64 data" otherwise.
absl::StatusOr<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view data);

// Parses a PLAIN client response, base64 of "[authzid] NUL authcid NUL passwd".
// INVALID_ARGUMENT for bad base64, not exactly three fields (so no NUL inside a
// field), an empty user name or password, or a field longer than kMaxSaslPlainField.
absl::StatusOr<SaslPlainCredentials> DecodeSaslPlain(std::string_view base64);

}  // namespace mail

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_SASL_H_
