// The IMAP command parser; see parser.h for the contract.
#include "services/libs/imap/parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace mail::imap {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
namespace {

bool IsCtl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

bool IsTagChar(char c) { return (IsAtomChar(c) || c == ']') && c != '+'; }

// Characters allowed in an argument atom. Wider than ATOM-CHAR on purpose: "*" and
// "%" appear in sequence sets and LIST patterns, "\" in flags, "]" in resp-specials;
// what is left out still ends or breaks the atom.
bool IsArgAtomChar(char c) {
  if (IsCtl(c) || static_cast<unsigned char>(c) >= 0x80) return false;
  return c != ' ' && c != '(' && c != ')' && c != '{' && c != '"';
}

// True when `line` ends with a literal announcement "{123}" or "{123+}".
bool EndsWithLiteral(std::string_view line, bool* sync) {
  if (line.empty() || line.back() != '}') return false;
  size_t open = line.rfind('{');
  if (open == std::string_view::npos) return false;
  std::string_view inside = line.substr(open + 1, line.size() - open - 2);
  *sync = true;
  if (!inside.empty() && inside.back() == '+') {
    *sync = false;
    inside.remove_suffix(1);
  }
  if (inside.empty()) return false;
  for (char c : inside) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool IsAtomChar(char c) {
  if (IsCtl(c) || static_cast<unsigned char>(c) >= 0x80) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

bool Arg::IsNil() const { return type == Type::kAtom && absl::EqualsIgnoreCase(value, "NIL"); }

CommandParser::CommandParser(ParserLimits limits) : limits_(limits) { Reset(); }

void CommandParser::Reset() {
  stage_ = Stage::kTag;
  command_ = Command();
  stack_.clear();
  stack_.emplace_back();
  need_separator_ = false;
  total_ = 0;
  args_ = 0;
  literal_size_ = 0;
  literal_sync_ = false;
  literal_binary_ = false;
}

ParseStatus CommandParser::Fail(std::string text, std::string code, bool fatal) {
  error_ = ParseError{command_.tag, std::move(code), std::move(text), fatal};
  Reset();
  return ParseStatus::kError;
}

ParseStatus CommandParser::AddLine(std::string_view line) {
  total_ += line.size() + 2;
  if (line.size() > limits_.max_line || total_ > limits_.max_command) {
    // Whatever the line announced cannot be trusted to be framed any more.
    return Fail("Command line too long", "TOOBIG", true);
  }
  size_t pos = 0;
  if (stage_ == Stage::kLiteral) {
    // The caller must have delivered the literal first; treat as a framing error.
    return Fail("Literal data missing", "", true);
  }
  if (stage_ == Stage::kTag) {
    while (pos < line.size() && line[pos] != ' ') {
      if (!IsTagChar(line[pos])) {
        bool sync;
        return Fail("Invalid tag", "", EndsWithLiteral(line, &sync) && !sync);
      }
      ++pos;
    }
    if (pos == 0) return Fail(line.empty() ? "Empty command line" : "Invalid tag");
    command_.tag = std::string(line.substr(0, pos));
    if (pos == line.size()) return Fail("Missing command");
    ++pos;  // the space
    stage_ = Stage::kName;
  }
  if (stage_ == Stage::kName) {
    size_t start = pos;
    while (pos < line.size() && line[pos] != ' ') {
      if (!IsAtomChar(line[pos])) {
        bool sync;
        return Fail("Invalid command name", "", EndsWithLiteral(line, &sync) && !sync);
      }
      ++pos;
    }
    if (pos == start) return Fail("Missing command");
    command_.name = absl::AsciiStrToUpper(Av(line.substr(start, pos - start)));
    stage_ = Stage::kArgs;
    need_separator_ = true;
  }
  ParseStatus status = ParseArgs(line, pos);
  if (status == ParseStatus::kError) {
    bool sync;
    // A refused line that announced a non-synchronizing literal: its octets follow.
    if (EndsWithLiteral(line, &sync) && !sync) error_.fatal = true;
  }
  return status;
}

ParseStatus CommandParser::ParseArgs(std::string_view line, size_t pos) {
  while (true) {
    if (pos == line.size()) {
      if (stack_.size() > 1) return Fail("Unterminated parenthesised list");
      return ParseStatus::kComplete;
    }
    char c = line[pos];
    if (c == ' ') {
      if (!need_separator_) return Fail("Unexpected space");
      need_separator_ = false;
      ++pos;
      if (pos == line.size()) return Fail("Trailing space");
      continue;
    }
    if (c == ')') {
      if (stack_.size() == 1) return Fail("Unexpected )");
      Arg list;
      list.type = Arg::Type::kList;
      list.list = std::move(stack_.back());
      stack_.pop_back();
      stack_.back().push_back(std::move(list));
      need_separator_ = true;
      ++pos;
      continue;
    }
    // Every other token must follow a space, or open a list, or start its line after
    // a literal ("... {3}\r\nabc)\r\n" continues with ")").
    if (need_separator_) return Fail("Missing space between arguments");
    if (++args_ > limits_.max_args) return Fail("Too many arguments");
    if (c == '(') {
      if (static_cast<int>(stack_.size()) > limits_.max_depth) {
        return Fail("Lists nested too deeply");
      }
      stack_.emplace_back();
      ++pos;
      continue;  // no separator after "("
    }
    if (c == '"') {
      std::string value;
      ++pos;
      bool closed = false;
      while (pos < line.size()) {
        char q = line[pos++];
        if (q == '"') {
          closed = true;
          break;
        }
        if (q == '\\') {
          if (pos == line.size()) break;
          q = line[pos++];
          // RFC 3501 quoted-specials: only \" and \\ are escapes.
          if (q != '"' && q != '\\') return Fail("Invalid escape in quoted string");
        } else if (q == '\0' || q == '\r' || q == '\n') {
          return Fail("Invalid character in quoted string");
        }
        value.push_back(q);
      }
      if (!closed) return Fail("Unterminated quoted string");
      Arg arg;
      arg.type = Arg::Type::kQuoted;
      arg.value = std::move(value);
      stack_.back().push_back(std::move(arg));
      need_separator_ = true;
      continue;
    }
    if (c == '{' || (c == '~' && pos + 1 < line.size() && line[pos + 1] == '{')) {
      bool binary = c == '~';
      size_t open = binary ? pos + 1 : pos;
      size_t close = line.find('}', open);
      // RFC 3501 §4.3: the announcement is the last thing on its line.
      if (close != line.size() - 1) return Fail("Literal announcement must end the line");
      std::string_view digits = line.substr(open + 1, close - open - 1);
      bool sync = true;
      if (!digits.empty() && digits.back() == '+') {
        sync = false;
        digits.remove_suffix(1);
      }
      if (digits.empty() || digits.size() > 10) return Fail("Invalid literal size");
      uint64_t size = 0;
      for (char d : digits) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(d))) {
          return Fail("Invalid literal size");
        }
        size = size * 10 + static_cast<uint64_t>(d - '0');
      }
      if (size > UINT32_MAX) return Fail("Invalid literal size");
      if (size > limits_.max_literal || total_ + size > limits_.max_command) {
        // RFC 7888 §4: a refused non-synchronizing literal is on its way anyway.
        return Fail("Literal too big", "TOOBIG", !sync);
      }
      literal_size_ = static_cast<size_t>(size);
      literal_sync_ = sync;
      literal_binary_ = binary;
      stage_ = Stage::kLiteral;
      return ParseStatus::kNeedLiteral;
    }
    // An atom. "[" opens a section in which spaces and parentheses belong to the atom
    // (BODY[HEADER.FIELDS (From To)]), up to the matching "]".
    size_t start = pos;
    int brackets = 0;
    while (pos < line.size()) {
      char a = line[pos];
      if (a == '[') {
        ++brackets;
      } else if (a == ']' && brackets > 0) {
        --brackets;
      } else if (brackets > 0) {
        if (IsCtl(a) || static_cast<unsigned char>(a) >= 0x80) {
          return Fail("Invalid character in section");
        }
      } else if (!IsArgAtomChar(a)) {
        break;
      }
      ++pos;
    }
    if (brackets > 0) return Fail("Unterminated [");
    if (pos == start) return Fail("Invalid characters in arguments");
    if (pos < line.size() && line[pos] != ' ' && line[pos] != ')') {
      return Fail("Invalid characters in atom");
    }
    Arg arg;
    arg.type = Arg::Type::kAtom;
    arg.value = std::string(line.substr(start, pos - start));
    stack_.back().push_back(std::move(arg));
    need_separator_ = true;
  }
}

void CommandParser::AddLiteral(std::string data) {
  total_ += data.size();
  Arg arg;
  arg.type = Arg::Type::kLiteral;
  arg.value = std::move(data);
  arg.binary = literal_binary_;
  stack_.back().push_back(std::move(arg));
  need_separator_ = true;
  stage_ = Stage::kArgs;
  literal_size_ = 0;
}

Command CommandParser::TakeCommand() {
  Command command = std::move(command_);
  command.args = std::move(stack_.front());
  // "UID FETCH ..." is the FETCH command in its UID form (RFC 3501 §6.4.8).
  if (command.name == "UID" && !command.args.empty() && command.args.front().IsAtom()) {
    command.name = absl::AsciiStrToUpper(command.args.front().value);
    command.uid = true;
    command.args.erase(command.args.begin());
  }
  Reset();
  return command;
}

}  // namespace mail::imap
