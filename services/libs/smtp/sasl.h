// SASL pieces for SMTP AUTH (RFC 4954): base64 framing and the PLAIN (RFC 4616)
// and LOGIN mechanisms' messages. Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_SASL_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_SASL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail::smtp {

struct SaslPlain {
  std::string authzid;  // usually empty
  std::string authcid;  // the user name
  std::string password;
};

// Decodes strict base64 (RFC 4648, padding required); InvalidArgument on error.
absl::StatusOr<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view data);

// Parses a PLAIN response, base64 of "authzid NUL authcid NUL passwd".
absl::StatusOr<SaslPlain> DecodeSaslPlain(std::string_view base64);

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_SASL_H_
