// IMAP response writing; see response.h.
#include "services/libs/imap/response.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/libs/imap/parser.h"

namespace mail::imap {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
namespace {

// Quoted strings longer than this go as literals: easier on clients' line buffers.
constexpr size_t kMaxQuoted = 1024;

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

bool Quotable(std::string_view s) {
  if (s.size() > kMaxQuoted) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) return false;
  }
  return true;
}

std::string StatusLine(std::string_view prefix, std::string_view status, std::string_view code,
                       std::string_view text) {
  std::string out = absl::StrCat(Av(prefix), " ", Av(status));
  if (!code.empty()) absl::StrAppend(&out, " [", OneLine(code), "]");
  absl::StrAppend(&out, " ", text.empty() ? std::string(status) : OneLine(text), "\r\n");
  return out;
}

}  // namespace

std::string Tagged(std::string_view tag, std::string_view status, std::string_view code,
                   std::string_view text) {
  return StatusLine(tag, status, code, text);
}

std::string Untagged(std::string_view text) { return absl::StrCat("* ", Av(text), "\r\n"); }

std::string UntaggedStatus(std::string_view status, std::string_view code, std::string_view text) {
  return StatusLine("*", status, code, text);
}

std::string Continuation(std::string_view text) {
  return absl::StrCat("+ ", OneLine(text), "\r\n");
}

bool IsAtom(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsAtomChar(c)) return false;
  }
  return true;
}

void AppendLiteral(std::string* out, std::string_view s) {
  absl::StrAppend(out, "{", s.size(), "}\r\n");
  out->append(s);
}

void AppendString(std::string* out, std::string_view s) {
  if (!Quotable(s)) {
    AppendLiteral(out, s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendAstring(std::string* out, std::string_view s) {
  if (IsAtom(s) && !absl::EqualsIgnoreCase(Av(s), "NIL")) {
    out->append(s);
  } else {
    AppendString(out, s);
  }
}

void AppendNString(std::string* out, const std::string* s) {
  if (s == nullptr) {
    out->append("NIL");
  } else {
    AppendString(out, *s);
  }
}

std::string FormatInternalDate(int64_t unix_seconds) {
  return absl::StrCat("\"",
                      absl::FormatTime("%e-%b-%Y %H:%M:%S +0000",
                                       absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone()),
                      "\"");
}

}  // namespace mail::imap
