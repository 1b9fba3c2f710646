// RFC 3461 (DSN) ESMTP parameter values: NOTIFY, ORCPT, RET, ENVID, and xtext
// encoding. Pure; any thread. smtp-ingress parses them at MAIL/RCPT and carries them
// to outbound-relay, which writes the notifications.
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_DSN_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_DSN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail::smtp {

struct DsnNotify {
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;
};

// "NEVER" or a comma list of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1), any case;
// NEVER cannot be combined and nothing may repeat.
absl::StatusOr<DsnNotify> ParseDsnNotify(std::string_view value);

// ORCPT = addr-type ";" xtext (RFC 3461 §4.2), addr-type an atom ("rfc822",
// "utf-8"). Returns the value unchanged when valid.
absl::StatusOr<std::string> ParseDsnOrcpt(std::string_view value);

// ENVID = xtext of at most 100 octets once decoded (RFC 3461 §4.4); returns the
// decoded identifier.
absl::StatusOr<std::string> ParseDsnEnvid(std::string_view value);

enum class DsnRet { kFull, kHeaders };
// RET = FULL / HDRS (RFC 3461 §4.3), any case.
absl::StatusOr<DsnRet> ParseDsnRet(std::string_view value);

// xtext-encodes `text` (RFC 3461 §4): '+', '=' and octets outside 33..126 become
// "+XX".
std::string EncodeXtext(std::string_view text);

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_DSN_H_
