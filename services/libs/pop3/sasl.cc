// SASL PLAIN decoding; see sasl.h.
#include "services/libs/pop3/sasl.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mail::pop3 {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::StatusOr<PlainCredentials> DecodeSaslPlain(std::string_view base64) {
  if (base64 == "=") base64 = "";
  std::string decoded;
  if (!absl::Base64Unescape(Av(base64), &decoded)) {
    return absl::InvalidArgumentError("Invalid base64 data");
  }
  std::vector<std::string> parts = absl::StrSplit(decoded, '\0');
  if (parts.size() != 3) return absl::InvalidArgumentError("Invalid SASL PLAIN response");
  if (parts[1].empty() || parts[2].empty()) {
    return absl::InvalidArgumentError("Empty user name or password");
  }
  return PlainCredentials{std::move(parts[0]), std::move(parts[1]), std::move(parts[2])};
}

}  // namespace mail::pop3
