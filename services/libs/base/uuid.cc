// UUID generation; see uuid.h.
#include "services/libs/base/uuid.h"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdlib>

#include "absl/strings/ascii.h"

namespace mail::base {

std::string NewUuid() {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // no randomness: nothing is safe
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace mail::base
