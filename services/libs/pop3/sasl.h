// SASL PLAIN (RFC 4616) as POP3 AUTH carries it (RFC 5034): the shared decoder of
// services/libs/mail/sasl.h under POP3's names. The "+ " continuation and "*" cancel
// live in pop3-access. Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_POP3_SASL_H_
#define MAILSUITE_SERVICES_LIBS_POP3_SASL_H_

#include "services/libs/mail/sasl.h"

namespace mail::pop3 {

using PlainCredentials = ::mail::SaslPlainCredentials;
// INVALID_ARGUMENT for bad base64 ("=", the empty response of RFC 5034 §4, included),
// a missing field, an empty user name or password, or NUL inside a field.
using ::mail::DecodeSaslPlain;

}  // namespace mail::pop3

#endif  // MAILSUITE_SERVICES_LIBS_POP3_SASL_H_
