#include "services/libs/smtp/dsn.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "services/libs/smtp/command.h"

namespace mail::smtp {

absl::StatusOr<DsnNotify> ParseDsnNotify(std::string_view value) {
  DsnNotify n;
  if (value.empty()) return absl::InvalidArgumentError("Bad NOTIFY parameter");
  int items = 0;
  for (absl::string_view item :
       absl::StrSplit(absl::string_view(value.data(), value.size()), ',')) {
    std::string v = absl::AsciiStrToUpper(item);
    bool* flag = v == "NEVER"     ? &n.never
                 : v == "SUCCESS" ? &n.success
                 : v == "FAILURE" ? &n.failure
                 : v == "DELAY"   ? &n.delay
                                  : nullptr;
    if (flag == nullptr || *flag) return absl::InvalidArgumentError("Bad NOTIFY parameter");
    *flag = true;
    ++items;
  }
  if (n.never && items > 1) return absl::InvalidArgumentError("Bad NOTIFY parameter");
  return n;
}

absl::StatusOr<std::string> ParseDsnOrcpt(std::string_view value) {
  size_t semi = value.find(';');
  if (semi == 0 || semi == std::string_view::npos || semi + 1 == value.size()) {
    return absl::InvalidArgumentError("Bad ORCPT parameter");
  }
  for (unsigned char c : value.substr(0, semi)) {
    if (!absl::ascii_isalnum(c) && c != '-')
      return absl::InvalidArgumentError("Bad ORCPT parameter");
  }
  std::string decoded;
  if (!DecodeXtext(value.substr(semi + 1), &decoded)) {
    return absl::InvalidArgumentError("Bad ORCPT parameter");
  }
  return std::string(value);
}

absl::StatusOr<std::string> ParseDsnEnvid(std::string_view value) {
  std::string decoded;
  if (value.empty() || !DecodeXtext(value, &decoded) || decoded.size() > 100) {
    return absl::InvalidArgumentError("Bad ENVID parameter");
  }
  return decoded;
}

absl::StatusOr<DsnRet> ParseDsnRet(std::string_view value) {
  std::string v = absl::AsciiStrToUpper(std::string(value));
  if (v == "FULL") return DsnRet::kFull;
  if (v == "HDRS") return DsnRet::kHeaders;
  return absl::InvalidArgumentError("Bad RET parameter");
}

std::string EncodeXtext(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 33 && c <= 126 && c != '+' && c != '=') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('+');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace mail::smtp
