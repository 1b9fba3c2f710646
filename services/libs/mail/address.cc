// RFC 5321 §4.1.2 path grammar, with RFC 6531 (SMTPUTF8) additions.
#include "services/libs/mail/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mail {
namespace {

absl::Status Bad(std::string_view why) { return absl::InvalidArgumentError(std::string(why)); }

bool IsAtext(unsigned char c) {
  return absl::ascii_isalnum(c) || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

bool IsLetDig(unsigned char c) { return absl::ascii_isalnum(c); }

// Validates a Dot-string (RFC 5321: Atom *("." Atom)); UTF-8 octets count as atext
// when allowed (RFC 6531 §3.3).
bool IsDotString(std::string_view s, bool allow_utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (unsigned char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (c >= 0x80) {
      if (!allow_utf8) return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    prev = static_cast<char>(c);
  }
  return !allow_utf8 || IsValidUtf8(s);
}

bool HasNonAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]. With UTF-8
// allowed a label may hold U-label octets (RFC 6531 §3.3); IDNA validity is the
// resolver's business.
absl::Status CheckDomainName(std::string_view d, bool allow_utf8) {
  if (d.empty()) return Bad("missing domain");
  if (d.size() > kMaxDomainLength) return Bad("domain too long");
  if (HasNonAscii(d) && (!allow_utf8 || !IsValidUtf8(d))) {
    return Bad("non-ASCII domain requires SMTPUTF8");
  }
  size_t start = 0;
  while (true) {
    size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return Bad("empty label in domain");
    if (label.size() > 63) return Bad("domain label too long");
    for (size_t i = 0; i < label.size(); ++i) {
      unsigned char c = label[i];
      bool ok = IsLetDig(c) || c >= 0x80 || (c == '-' && i != 0 && i + 1 != label.size());
      if (!ok) return Bad("invalid character in domain");
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return absl::OkStatus();
}

absl::Status CheckAddressLiteral(std::string_view lit) {
  // lit includes the brackets.
  std::string inner(lit.substr(1, lit.size() - 2));
  unsigned char buf[16];
  if (absl::StartsWithIgnoreCase(inner, "IPv6:")) {
    if (inet_pton(AF_INET6, inner.c_str() + 5, buf) == 1) return absl::OkStatus();
    return Bad("invalid IPv6 address literal");
  }
  if (inet_pton(AF_INET, inner.c_str(), buf) == 1) return absl::OkStatus();
  return Bad("invalid address literal");
}

// Parses Local-part "@" (Domain / address-literal) from the start of `s`, stopping
// before `terminator` (or at the end when terminator is 0; bare form stops at a
// space too). Returns the octets used.
absl::StatusOr<size_t> ParseMailboxAt(std::string_view s, char terminator, bool allow_utf8,
                                      Mailbox* out) {
  size_t i = 0;
  std::string local;
  bool quoted = false;
  if (i < s.size() && s[i] == '"') {
    quoted = true;
    ++i;
    bool closed = false;
    while (i < s.size()) {
      unsigned char c = s[i];
      if (c == '"') {
        closed = true;
        ++i;
        break;
      }
      if (c == '\\') {
        // quoted-pairSMTP = %d92 %d32-126
        if (i + 1 >= s.size()) return Bad("unterminated quoted local part");
        unsigned char n = s[i + 1];
        if (n < 32 || n > 126) return Bad("invalid quoted pair in local part");
        local.push_back(static_cast<char>(n));
        i += 2;
        continue;
      }
      if (c >= 0x80) {
        if (!allow_utf8) return Bad("non-ASCII local part requires SMTPUTF8");
      } else if (c < 32 || c == 127) {
        return Bad("control character in local part");
      }
      local.push_back(static_cast<char>(c));
      ++i;
    }
    if (!closed) return Bad("unterminated quoted local part");
    if (allow_utf8 && !IsValidUtf8(local)) return Bad("invalid UTF-8 in local part");
  } else {
    size_t at = i;
    while (at < s.size() && s[at] != '@' && s[at] != terminator &&
           !(terminator == 0 && s[at] == ' ')) {
      ++at;
    }
    local = std::string(s.substr(i, at - i));
    if (local.empty()) return Bad("missing local part");
    if (HasNonAscii(local) && !allow_utf8) return Bad("non-ASCII local part requires SMTPUTF8");
    if (!IsDotString(local, allow_utf8)) return Bad("invalid local part");
    i = at;
  }
  if (i >= s.size() || s[i] != '@') return Bad("missing domain");
  ++i;
  size_t end = i;
  if (end < s.size() && s[end] == '[') {
    end = s.find(']', end);
    if (end == std::string_view::npos) return Bad("unterminated address literal");
    ++end;
    std::string_view lit = s.substr(i, end - i);
    absl::Status st = CheckAddressLiteral(lit);
    if (!st.ok()) return st;
    out->domain = AsciiLower(lit);
  } else {
    while (end < s.size() && s[end] != terminator && !(terminator == 0 && s[end] == ' ')) {
      ++end;
    }
    std::string_view domain = s.substr(i, end - i);
    absl::Status st = CheckDomainName(domain, allow_utf8);
    if (!st.ok()) return st;
    out->domain = AsciiLower(domain);
  }
  if (local.size() > kMaxLocalPartLength) return Bad("local part too long");
  // RFC 5321 §4.1.2: a quoted string that is also a dot-string means the same
  // mailbox; keep the canonical (unquoted) form so lookups match.
  if (quoted && !IsDotString(local, allow_utf8)) {
    std::string q = "\"";
    for (char c : local) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    q.push_back('"');
    out->local_part = std::move(q);
  } else {
    out->local_part = std::move(local);
  }
  out->utf8 = HasNonAscii(out->local_part) || HasNonAscii(out->domain);
  return end;
}

}  // namespace

std::string Mailbox::ToString() const {
  if (domain.empty()) return local_part;
  return absl::StrCat(local_part, "@", domain);
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

absl::StatusOr<Path> ParsePath(std::string_view text, const ParseOptions& options,
                               size_t* consumed) {
  Path path;
  if (text.empty()) return Bad("missing address");
  if (text[0] != '<') {
    if (!options.allow_bare) return Bad("address must be in angle brackets");
    auto used = ParseMailboxAt(text, 0, options.allow_utf8, &path.mailbox);
    if (!used.ok()) return used.status();
    if (*used > kMaxPathLength - 2) return Bad("address too long");
    if (consumed) *consumed = *used;
    return path;
  }
  if (text.size() >= 2 && text[1] == '>') {
    if (!options.allow_null) return Bad("null address not allowed here");
    path.null = true;
    if (consumed) *consumed = 2;
    return path;
  }
  size_t i = 1;
  // A-d-l: "@one.example,@two.example:" is obsolete source routing; RFC 5321
  // §4.1.2 / appendix C says to accept and ignore it.
  if (i < text.size() && text[i] == '@') {
    size_t colon = text.find(':', i);
    size_t close = text.find('>', i);
    if (colon == std::string_view::npos || (close != std::string_view::npos && close < colon)) {
      return Bad("invalid source route");
    }
    std::string_view adl = text.substr(i, colon - i);
    size_t p = 0;
    while (p < adl.size()) {
      if (adl[p] != '@') return Bad("invalid source route");
      size_t comma = adl.find(',', p);
      std::string_view d =
          adl.substr(p + 1, comma == std::string_view::npos ? comma : comma - p - 1);
      if (!CheckDomainName(d, options.allow_utf8).ok()) return Bad("invalid source route");
      if (comma == std::string_view::npos) break;
      p = comma + 1;
    }
    i = colon + 1;
  }
  if (options.allow_postmaster &&
      absl::StartsWithIgnoreCase(std::string(text.substr(i, 11)), "postmaster>")) {
    path.mailbox.local_part = "postmaster";
    i += 11;
    if (consumed) *consumed = i;
    return path;
  }
  auto used = ParseMailboxAt(text.substr(i), '>', options.allow_utf8, &path.mailbox);
  if (!used.ok()) return used.status();
  i += *used;
  if (i >= text.size() || text[i] != '>') return Bad("missing closing angle bracket");
  ++i;
  if (i > kMaxPathLength) return Bad("address too long");
  if (consumed) *consumed = i;
  return path;
}

absl::StatusOr<Mailbox> ParseMailbox(std::string_view text, bool allow_utf8) {
  Mailbox m;
  auto used = ParseMailboxAt(text, 0, allow_utf8, &m);
  if (!used.ok()) return used.status();
  if (*used != text.size()) return Bad("unexpected text after address");
  return m;
}

bool SplitAddress(std::string_view address, std::string* local_part, std::string* domain) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  if (local_part) *local_part = std::string(address.substr(0, at));
  if (domain) *domain = std::string(address.substr(at + 1));
  return true;
}

bool SameAddress(std::string_view a, std::string_view b) {
  auto ma = ParseMailbox(a, true);
  auto mb = ParseMailbox(b, true);
  std::string ca = ma.ok() ? ma->ToString() : std::string(a);
  std::string cb = mb.ok() ? mb->ToString() : std::string(b);
  return absl::EqualsIgnoreCase(ca, cb);
}

}  // namespace mail
