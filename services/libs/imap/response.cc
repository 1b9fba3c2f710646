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

bool Quotable(std::string_view s, bool utf8 = false) {
  if (s.size() > kMaxQuoted) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || (u >= 0x80 && !utf8)) return false;
  }
  return true;
}

// Well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool ValidUtf8(std::string_view s) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;  // continuation octets
    if (c < 0x80) {
      n = 0;
    } else if ((c >> 5) == 6) {
      n = 1;
    } else if ((c >> 4) == 14) {
      n = 2;
    } else if ((c >> 3) == 30) {
      n = 3;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    uint32_t cp = n == 0 ? c : c & (0x3fu >> n);
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
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

void AppendMailboxName(std::string* out, std::string_view name, bool utf8) {
  if (!utf8 || IsAtom(name) || !Quotable(name, true) || !ValidUtf8(name)) {
    AppendAstring(out, name);
    return;
  }
  out->push_back('"');
  for (char c : name) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
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
