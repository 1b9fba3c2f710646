// SASL PLAIN (RFC 4616) as POP3 AUTH carries it (RFC 5034): the base64 client
// response decoded into authorization id, user name and password. Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_POP3_SASL_H_
#define MAILSUITE_SERVICES_LIBS_POP3_SASL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail::pop3 {

struct PlainCredentials {
  std::string authzid;  // empty unless the client asks to act as someone else
  std::string authcid;  // the user name
  std::string password;
};

// Decodes `base64` ("=" is the empty response, RFC 5034 §4) into the three
// NUL-separated fields. INVALID_ARGUMENT for bad base64, a missing field, an empty
// user name or password, or NUL inside a field.
absl::StatusOr<PlainCredentials> DecodeSaslPlain(std::string_view base64);

}  // namespace mail::pop3

#endif  // MAILSUITE_SERVICES_LIBS_POP3_SASL_H_
