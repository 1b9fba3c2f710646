#include "services/libs/smtp/command.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace mail::smtp {
namespace {

struct VerbName {
  const char* name;
  Verb verb;
};
constexpr VerbName kVerbs[] = {
    {"HELO", Verb::kHelo}, {"EHLO", Verb::kEhlo},         {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt}, {"DATA", Verb::kData},         {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset}, {"NOOP", Verb::kNoop},         {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy}, {"EXPN", Verb::kExpn},         {"HELP", Verb::kHelp},
    {"AUTH", Verb::kAuth}, {"STARTTLS", Verb::kStarttls},
};

absl::StatusOr<PathArgs> ParsePathArgs(std::string_view args, std::string_view prefix,
                                       const mail::ParseOptions& options) {
  if (!absl::StartsWithIgnoreCase(std::string(args.substr(0, prefix.size())),
                                  std::string(prefix))) {
    return absl::InvalidArgumentError(
        std::string("Syntax: ") + (prefix[0] == 'F' ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
  }
  args.remove_prefix(prefix.size());
  // "MAIL FROM: <a@b>" has a space RFC 5321 does not allow; accepted as most MTAs do.
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  size_t used = 0;
  auto path = mail::ParsePath(args, options, &used);
  if (!path.ok()) return path.status();
  PathArgs out;
  out.path = *std::move(path);
  std::string_view rest = args.substr(used);
  if (!rest.empty() && rest.front() != ' ') {
    return absl::InvalidArgumentError("unexpected text after address");
  }
  auto params = ParseEsmtpParams(rest, options.allow_utf8);
  if (!params.ok()) return params.status();
  out.params = *std::move(params);
  return out;
}

}  // namespace

size_t MaxLineLength(Verb verb) {
  switch (verb) {
    case Verb::kMail:
    case Verb::kRcpt:
      return kMaxMailRcptLine;
    case Verb::kAuth:
      return kMaxAuthLine;
    default:
      return kMaxCommandLine;
  }
}

Command ParseCommand(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  Command cmd;
  size_t sp = line.find(' ');
  std::string_view verb = line.substr(0, sp);
  cmd.name = absl::AsciiStrToUpper(std::string(verb.substr(0, 16)));
  if (sp != std::string_view::npos) {
    std::string_view args = line.substr(sp + 1);
    while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
    cmd.args = std::string(args);
  }
  for (const VerbName& v : kVerbs) {
    if (cmd.name == v.name && verb.size() == cmd.name.size()) {
      cmd.verb = v.verb;
      break;
    }
  }
  return cmd;
}

absl::StatusOr<std::vector<EsmtpParam>> ParseEsmtpParams(std::string_view text, bool allow_utf8) {
  std::vector<EsmtpParam> params;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(i, end - i);
    i = end;
    EsmtpParam p;
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (key.empty() || !absl::ascii_isalnum(static_cast<unsigned char>(key[0]))) {
      return absl::InvalidArgumentError("invalid parameter syntax");
    }
    for (unsigned char c : key) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return absl::InvalidArgumentError("invalid parameter syntax");
      }
    }
    p.keyword = absl::AsciiStrToUpper(std::string(key));
    if (eq != std::string_view::npos) {
      std::string_view value = item.substr(eq + 1);
      // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 under RFC 6531 §3.3.
      if (value.empty()) return absl::InvalidArgumentError("invalid parameter syntax");
      for (unsigned char c : value) {
        bool ok = (c >= 33 && c <= 126 && c != '=') || (c >= 0x80 && allow_utf8);
        if (!ok) return absl::InvalidArgumentError("invalid parameter syntax");
      }
      if (allow_utf8 && !mail::IsValidUtf8(value)) {
        return absl::InvalidArgumentError("invalid parameter syntax");
      }
      p.value = std::string(value);
      p.has_value = true;
    }
    params.push_back(std::move(p));
  }
  return params;
}

absl::StatusOr<PathArgs> ParseMailArgs(std::string_view args, bool allow_utf8) {
  mail::ParseOptions options;
  options.allow_utf8 = allow_utf8;
  options.allow_null = true;
  options.allow_bare = true;
  return ParsePathArgs(args, "FROM:", options);
}

absl::StatusOr<PathArgs> ParseRcptArgs(std::string_view args, bool allow_utf8) {
  mail::ParseOptions options;
  options.allow_utf8 = allow_utf8;
  options.allow_postmaster = true;
  options.allow_bare = true;
  return ParsePathArgs(args, "TO:", options);
}

bool DecodeXtext(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (c == '+') {
      if (i + 2 >= text.size()) return false;
      auto hex = [](unsigned char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c >= 33 && c <= 126 && c != '=') {
      out->push_back(static_cast<char>(c));
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace mail::smtp
