// SASL base64 and PLAIN decoding; see sasl.h.
#include "services/libs/mail/sasl.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mail {
namespace {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

absl::StatusOr<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  // absl also accepts unpadded input and skips whitespace; the SASL profiles want the
  // canonical form: a multiple of 4 characters of the alphabet (and "=" padding).
  bool alphabet = std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
  });
  if (!alphabet || text.size() % 4 != 0 || !absl::Base64Unescape(Av(text), &out)) {
    return absl::InvalidArgumentError("Invalid base64 data");
  }
  return out;
}

std::string EncodeBase64(std::string_view data) { return absl::Base64Escape(Av(data)); }

absl::StatusOr<SaslPlainCredentials> DecodeSaslPlain(std::string_view base64) {
  absl::StatusOr<std::string> decoded = DecodeBase64(base64);
  if (!decoded.ok()) return decoded.status();
  std::vector<std::string> parts = absl::StrSplit(*decoded, '\0');
  // Exactly two NULs: a NUL inside any field gives more parts (RFC 4616 §2: the
  // fields are UTF-8 without NUL).
  if (parts.size() != 3) return absl::InvalidArgumentError("Invalid SASL PLAIN response");
  if (parts[1].empty() || parts[2].empty()) {
    return absl::InvalidArgumentError("Empty user name or password");
  }
  for (const std::string& part : parts) {
    if (part.size() > kMaxSaslPlainField) {
      return absl::InvalidArgumentError("SASL PLAIN field too long");
    }
  }
  return SaslPlainCredentials{std::move(parts[0]), std::move(parts[1]), std::move(parts[2])};
}

}  // namespace mail
