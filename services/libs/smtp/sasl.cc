#include "services/libs/smtp/sasl.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace mail::smtp {

absl::StatusOr<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  // absl accepts missing padding and whitespace-free input; RFC 4954 wants the
  // canonical form, so the length must be a multiple of 4.
  if (text.size() % 4 != 0 ||
      !absl::Base64Unescape(absl::string_view(text.data(), text.size()), &out)) {
    return absl::InvalidArgumentError("invalid base64");
  }
  return out;
}

std::string EncodeBase64(std::string_view data) {
  return absl::Base64Escape(absl::string_view(data.data(), data.size()));
}

absl::StatusOr<SaslPlain> DecodeSaslPlain(std::string_view base64) {
  auto raw = DecodeBase64(base64);
  if (!raw.ok()) return raw.status();
  size_t a = raw->find('\0');
  if (a == std::string::npos) return absl::InvalidArgumentError("malformed PLAIN response");
  size_t b = raw->find('\0', a + 1);
  if (b == std::string::npos) return absl::InvalidArgumentError("malformed PLAIN response");
  SaslPlain p;
  p.authzid = raw->substr(0, a);
  p.authcid = raw->substr(a + 1, b - a - 1);
  p.password = raw->substr(b + 1);
  if (p.authcid.empty() || p.password.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("malformed PLAIN response");
  }
  return p;
}

}  // namespace mail::smtp
