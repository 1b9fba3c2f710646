// SMTP command lines (RFC 5321 §4.1): the verb, its argument text, and the
// MAIL FROM / RCPT TO argument grammar with ESMTP parameters (RFC 5321 §4.1.2,
// RFC 1869). Pure parsing, no I/O; safe from any thread.
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_COMMAND_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_COMMAND_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/libs/mail/address.h"

namespace mail::smtp {

enum class Verb {
  kUnknown,
  kHelo,
  kEhlo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kExpn,
  kHelp,
  kStarttls,
  kAuth,
};

// Line-length limits in octets, the line ending excluded.
// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
inline constexpr size_t kMaxCommandLine = 510;
// RFC 1869 §4 / RFC 5321 §4.5.3.1.4: each ESMTP parameter may lengthen MAIL and
// RCPT; we allow 2048 octets including CRLF for those two, as Postfix does.
inline constexpr size_t kMaxMailRcptLine = 2046;
// RFC 4954 §4: AUTH lines (and SASL continuation lines) may be 12288 octets.
inline constexpr size_t kMaxAuthLine = 12286;
// What a session should read at most for one command line: the largest of the above.
inline constexpr size_t kMaxReadLine = kMaxAuthLine;

// The length limit that applies to a command line with this verb.
size_t MaxLineLength(Verb verb);

struct Command {
  Verb verb = Verb::kUnknown;
  std::string name;  // the verb as sent, uppercased ("EHLO"); at most 16 octets
  std::string args;  // the text after the verb and its separating space(s)
};

// Splits a command line (without its CRLF) into verb and arguments. Never fails:
// an unrecognised verb gives Verb::kUnknown. Trailing spaces are dropped (many
// clients send them; RFC 5321 §4.1.1 does not allow them but Postfix tolerates).
Command ParseCommand(std::string_view line);

// One ESMTP parameter, "KEYWORD[=value]". keyword is uppercased.
struct EsmtpParam {
  std::string keyword;
  std::string value;
  bool has_value = false;
};

struct PathArgs {
  mail::Path path;
  std::vector<EsmtpParam> params;
};

// Parses the arguments of MAIL ("FROM:<path> [params]") and RCPT ("TO:<path>
// [params]"). `allow_utf8` is whether the server offers SMTPUTF8: the path may then
// hold UTF-8, and the caller checks that the SMTPUTF8 parameter was given (RFC 6531
// §3.4). Errors are InvalidArgument whose message is a reason for a 501 reply.
absl::StatusOr<PathArgs> ParseMailArgs(std::string_view args, bool allow_utf8);
absl::StatusOr<PathArgs> ParseRcptArgs(std::string_view args, bool allow_utf8);

// The parameter list after a path: " KEY=VAL KEY2". Exposed for tests.
absl::StatusOr<std::vector<EsmtpParam>> ParseEsmtpParams(std::string_view text, bool allow_utf8);

// Decodes RFC 3461 §4 xtext ("+2B" → '+'); false when malformed.
bool DecodeXtext(std::string_view text, std::string* out);

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_COMMAND_H_
