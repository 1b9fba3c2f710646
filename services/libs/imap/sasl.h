// SASL PLAIN (RFC 4616) as IMAP AUTHENTICATE carries it (RFC 3501 §6.2.2, RFC 4959
// SASL-IR): the shared decoder of services/libs/mail/sasl.h under IMAP's names. The
// continuation framing ("+", "*" to cancel) lives in imap-access. Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_SASL_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_SASL_H_

#include "services/libs/mail/sasl.h"

namespace mail::imap {

using PlainCredentials = ::mail::SaslPlainCredentials;
// INVALID_ARGUMENT for bad base64 ("=", the empty initial response of RFC 4959 §3,
// included), a missing field, an empty user name or password.
using ::mail::DecodeSaslPlain;

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_SASL_H_
