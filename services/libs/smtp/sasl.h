// SASL pieces for SMTP AUTH (RFC 4954): base64 framing (also for LOGIN's prompts and
// answers) and the PLAIN (RFC 4616) message. The decoders are the shared ones of
// services/libs/mail/sasl.h; the 334 framing lives in smtp-ingress. Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_SASL_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_SASL_H_

#include "services/libs/mail/sasl.h"

namespace mail::smtp {

using SaslPlain = ::mail::SaslPlainCredentials;
using ::mail::DecodeBase64;
using ::mail::DecodeSaslPlain;
using ::mail::EncodeBase64;

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_SASL_H_
