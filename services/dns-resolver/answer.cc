// Names of record types and outcomes, DNS name normalization and reverse names; see
// answer.h.
#include "services/dns-resolver/answer.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mail::dns_resolver {

int WireType(RecordType type) {
  switch (type) {
    case RecordType::kA:
      return 1;
    case RecordType::kAaaa:
      return 28;
    case RecordType::kMx:
      return 15;
    case RecordType::kTxt:
      return 16;
    case RecordType::kPtr:
      return 12;
  }
  return 0;
}

std::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kA:
      return "A";
    case RecordType::kAaaa:
      return "AAAA";
    case RecordType::kMx:
      return "MX";
    case RecordType::kTxt:
      return "TXT";
    case RecordType::kPtr:
      return "PTR";
  }
  return "?";
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kFound:
      return "found";
    case Outcome::kNxDomain:
      return "nxdomain";
    case Outcome::kNoData:
      return "no_data";
    case Outcome::kTempFail:
      return "temporary_failure";
  }
  return "?";
}

bool NormalizeName(std::string_view name, std::string* out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    // Host names are LDH (RFC 1123 §2.1); underscores appear in SRV/TXT owner names.
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  *out = absl::AsciiStrToLower(std::string(name));
  return true;
}

bool ReverseName(std::string_view address, std::string* out) {
  // inet_pton needs a NUL-terminated string; an address is at most 45 characters.
  if (address.empty() || address.size() > 45) return false;
  const std::string text(address);
  unsigned char v4[4];
  unsigned char v6[16];
  const unsigned char* octets = nullptr;
  if (inet_pton(AF_INET, text.c_str(), v4) == 1) {
    octets = v4;
  } else if (inet_pton(AF_INET6, text.c_str(), v6) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, v6)) {
      octets = v6 + 12;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out->clear();
      for (int i = 15; i >= 0; --i) {
        out->push_back(kHex[v6[i] & 0x0F]);
        out->push_back('.');
        out->push_back(kHex[v6[i] >> 4]);
        out->push_back('.');
      }
      out->append("ip6.arpa");
      return true;
    }
  } else {
    return false;
  }
  *out = absl::StrCat(int{octets[3]}, ".", int{octets[2]}, ".", int{octets[1]}, ".", int{octets[0]},
                      ".in-addr.arpa");
  return true;
}

}  // namespace mail::dns_resolver
