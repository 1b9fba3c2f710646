// Address and domain normalisation; see address.h.
#include "services/mailbox-store/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mail::mailbox_store {
namespace {

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
constexpr size_t kMaxDomain = 253;    // 255 octets on the wire, minus the length octets
constexpr size_t kMaxLabel = 63;

bool IsAtext(unsigned char c) {
  if (c >= 0x80) return true;  // UTF-8 (RFC 6531 §3.3)
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

absl::Status BadAddress(const std::string& text, const char* why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid address \"", text, "\": ", why));
}

bool IsDotAtom(const std::string& local) {
  if (local.empty() || local.front() == '.' || local.back() == '.') return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NormalizeDomain(const std::string& text) {
  std::string domain = absl::AsciiStrToLower(text);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  auto bad = [&](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid domain \"", text, "\": ", why));
  };
  if (domain.empty()) return bad("empty");
  if (domain.size() > kMaxDomain) return bad("longer than 253 octets");
  size_t label_start = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      size_t len = i - label_start;
      if (len == 0) return bad("empty label");
      if (len > kMaxLabel) return bad("label longer than 63 octets");
      if (domain[label_start] == '-' || domain[i - 1] == '-') {
        return bad("label starts or ends with a hyphen");
      }
      label_start = i + 1;
      continue;
    }
    char c = domain[i];
    if (!absl::ascii_isalnum(c) && c != '-') return bad("only letters, digits, '-' and '.'");
  }
  return domain;
}

absl::StatusOr<Address> ParseAddress(const std::string& text) {
  size_t at = text.rfind('@');
  if (at == std::string::npos) return BadAddress(text, "no @");
  Address address;
  address.local = text.substr(0, at);
  if (address.local.empty()) return BadAddress(text, "empty local part");
  if (address.local.size() > kMaxLocalPart) return BadAddress(text, "local part too long");
  if (!IsDotAtom(address.local)) return BadAddress(text, "unsupported characters in local part");
  auto domain = NormalizeDomain(text.substr(at + 1));
  if (!domain.ok()) return BadAddress(text, "invalid domain");
  address.domain = *std::move(domain);
  return address;
}

absl::StatusOr<Address> ParseAliasAddress(const std::string& text) {
  if (!text.empty() && text.front() == '@') {
    auto domain = NormalizeDomain(text.substr(1));
    if (!domain.ok()) return BadAddress(text, "invalid domain");
    return Address{"", *std::move(domain)};
  }
  return ParseAddress(text);
}

absl::StatusOr<Address> SplitEnvelopeAddress(const std::string& text) {
  size_t at = text.rfind('@');
  if (at == std::string::npos) return BadAddress(text, "no @");
  Address address;
  address.local = text.substr(0, at);
  if (address.local.empty()) return BadAddress(text, "empty local part");
  if (address.local.size() > kMaxLocalPart) return BadAddress(text, "local part too long");
  for (char c : address.local) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return BadAddress(text, "control character");
    }
  }
  auto domain = NormalizeDomain(text.substr(at + 1));
  if (!domain.ok()) return BadAddress(text, "invalid domain");
  address.domain = *std::move(domain);
  return address;
}

std::string StripSubaddress(const std::string& local) {
  size_t plus = local.find('+');
  if (plus == std::string::npos || plus == 0) return "";
  return local.substr(0, plus);
}

}  // namespace mail::mailbox_store
