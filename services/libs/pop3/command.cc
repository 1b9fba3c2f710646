// POP3 command line parsing; see command.h.
#include "services/libs/pop3/command.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mail::pop3 {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr VerbName kVerbs[] = {
    {"USER", Verb::kUser}, {"PASS", Verb::kPass}, {"APOP", Verb::kApop}, {"AUTH", Verb::kAuth},
    {"STLS", Verb::kStls}, {"STAT", Verb::kStat}, {"LIST", Verb::kList}, {"RETR", Verb::kRetr},
    {"DELE", Verb::kDele}, {"NOOP", Verb::kNoop}, {"RSET", Verb::kRset}, {"TOP", Verb::kTop},
    {"UIDL", Verb::kUidl}, {"CAPA", Verb::kCapa}, {"QUIT", Verb::kQuit},
};

}  // namespace

absl::StatusOr<Command> ParseCommand(std::string_view line) {
  if (line.size() > kMaxCommandLine) {
    return absl::InvalidArgumentError("Command line too long (RFC 2449: 255 octets at most)");
  }
  if (line.empty()) return absl::InvalidArgumentError("Empty command");
  for (char c : line) {
    // Control characters have no place in a command; 8-bit octets may appear in
    // passwords (UTF-8) and are kept.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("Control character in command");
    }
  }
  size_t space = line.find(' ');
  std::string_view keyword = line.substr(0, space);
  if (keyword.size() < 3 || keyword.size() > 4) {
    return absl::InvalidArgumentError("Invalid command keyword");
  }
  for (char c : keyword) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("Invalid command keyword");
    }
  }
  Command command;
  command.keyword = absl::AsciiStrToUpper(Av(keyword));
  for (const auto& v : kVerbs) {
    if (v.name == command.keyword) command.verb = v.verb;
  }
  if (space != std::string_view::npos) {
    command.rest = std::string(line.substr(space + 1));
    // Clients put one space between arguments; a run of spaces or trailing spaces
    // (seen from old clients) does not make empty arguments.
    for (absl::string_view arg : absl::StrSplit(command.rest, ' ', absl::SkipEmpty())) {
      if (command.args.size() == kMaxArguments) {
        return absl::InvalidArgumentError("Too many arguments");
      }
      command.args.emplace_back(arg);
    }
  }
  return command;
}

bool ParseNumber(std::string_view text, uint32_t* value) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > UINT32_MAX) return false;
  *value = static_cast<uint32_t>(n);
  return true;
}

}  // namespace mail::pop3
