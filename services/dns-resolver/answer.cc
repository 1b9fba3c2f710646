// Names of record types and outcomes, and DNS name normalization; see answer.h.
#include "services/dns-resolver/answer.h"

#include "absl/strings/ascii.h"

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

}  // namespace mail::dns_resolver
