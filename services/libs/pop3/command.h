// POP3 command lines (RFC 1939 §3, RFC 2449 §3-4): a keyword of 3-4 letters,
// case-insensitive, and arguments separated by single spaces. Pure functions over one
// line as received (CRLF already removed); callable from any thread.
#ifndef MAILSUITE_SERVICES_LIBS_POP3_COMMAND_H_
#define MAILSUITE_SERVICES_LIBS_POP3_COMMAND_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mail::pop3 {

// RFC 2449 §4: a command line is at most 255 octets including the CRLF.
inline constexpr size_t kMaxCommandLine = 255 - 2;
// No command takes more than two arguments; a line with more than this is rejected
// rather than split further. (Argument length is bounded by the line limit: RFC 2449
// lifted RFC 1939's 40 octets per argument.)
inline constexpr size_t kMaxArguments = 8;

enum class Verb {
  kUnknown,
  // AUTHORIZATION state
  kUser,
  kPass,
  kApop,
  kAuth,
  kStls,
  // TRANSACTION state
  kStat,
  kList,
  kRetr,
  kDele,
  kNoop,
  kRset,
  kTop,
  kUidl,
  // any state
  kCapa,
  kQuit,
};

struct Command {
  Verb verb = Verb::kUnknown;
  std::string keyword;            // upper-cased, as sent ("RETR")
  std::vector<std::string> args;  // split on spaces
  // Everything after the keyword and one space, unsplit: PASS takes it whole, since a
  // password may contain spaces (RFC 1939 §7, "PASS string").
  std::string rest;
};

// Parses one command line. Errors (INVALID_ARGUMENT, with a message fit for "-ERR "):
// empty line, line over kMaxCommandLine, keyword not 3-4 printable letters, NUL or
// other control characters, too many arguments. An unknown but well-formed keyword is
// not an error: verb is kUnknown and the session answers it.
absl::StatusOr<Command> ParseCommand(std::string_view line);

// A message number or line count argument: decimal digits only, no sign, fits in
// uint32 (RFC 1939 "msg" is a positive decimal number; TOP's n may be 0).
bool ParseNumber(std::string_view text, uint32_t* value);

}  // namespace mail::pop3

#endif  // MAILSUITE_SERVICES_LIBS_POP3_COMMAND_H_
