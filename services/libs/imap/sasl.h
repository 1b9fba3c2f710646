// SASL PLAIN (RFC 4616) as IMAP AUTHENTICATE carries it (RFC 3501 §6.2.2, RFC 4959
// SASL-IR): the base64 client response decoded into authorization id, user name and
// password. Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_SASL_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_SASL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail::imap {

struct PlainCredentials {
  std::string authzid;  // empty unless the client asks to act as someone else
  std::string authcid;  // the user name
  std::string password;
};

// Decodes `base64` ("=" is an empty initial response, RFC 4959 §3) into the three
// NUL-separated fields. INVALID_ARGUMENT for bad base64, a missing field, an empty
// user name or password.
absl::StatusOr<PlainCredentials> DecodeSaslPlain(std::string_view base64);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_SASL_H_
