// Modified UTF-7; see mutf7.h.
#include "services/libs/imap/mutf7.h"

#include <cstdint>
#include <vector>

#include "services/libs/mail/charset.h"

namespace mail::imap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// The next code point of `s` at `*i`, advancing; U+FFFD for a malformed sequence.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
  if (extra == 9 || *i + extra >= s.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k <= extra; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc >> 6) != 2) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  *i += extra + 1;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  return cp;
}

void FlushRun(std::string* out, std::vector<uint8_t>* bytes) {
  if (bytes->empty()) return;
  out->push_back('&');
  size_t i = 0;
  for (; i + 2 < bytes->size(); i += 3) {
    uint32_t v = ((*bytes)[i] << 16) | ((*bytes)[i + 1] << 8) | (*bytes)[i + 2];
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  size_t rest = bytes->size() - i;
  if (rest == 1) {
    uint32_t v = (*bytes)[i] << 16;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = ((*bytes)[i] << 16) | ((*bytes)[i + 1] << 8);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
  }
  out->push_back('-');
  bytes->clear();
}

}  // namespace

std::string EncodeMutf7(std::string_view utf8) {
  std::string out;
  std::vector<uint8_t> run;  // UTF-16BE octets waiting to be base64-encoded
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = NextCodePoint(utf8, &i);
    if (cp >= 0x20 && cp <= 0x7E) {
      FlushRun(&out, &run);
      out += cp == '&' ? "&-" : std::string(1, static_cast<char>(cp));
      continue;
    }
    auto unit = [&](uint32_t u) {
      run.push_back(static_cast<uint8_t>(u >> 8));
      run.push_back(static_cast<uint8_t>(u & 0xFF));
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 | (cp >> 10));
      unit(0xDC00 | (cp & 0x3FF));
    } else {
      unit(cp);
    }
  }
  FlushRun(&out, &run);
  return out;
}

absl::StatusOr<std::string> DecodeMutf7(std::string_view in) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c != '&') {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t end = in.find('-', i + 1);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError("unterminated modified UTF-7 sequence");
    }
    if (end == i + 1) {
      out.push_back('&');
      i = end + 1;
      continue;
    }
    std::vector<uint8_t> bytes;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t k = i + 1; k < end; ++k) {
      int v = Value(in[k]);
      if (v < 0) return absl::InvalidArgumentError("bad modified UTF-7 base64");
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
      }
    }
    // Left-over bits must be zero padding shorter than one octet.
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || bytes.size() % 2 != 0) {
      return absl::InvalidArgumentError("bad modified UTF-7 padding");
    }
    for (size_t k = 0; k < bytes.size(); k += 2) {
      uint32_t u = (bytes[k] << 8) | bytes[k + 1];
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (k + 3 >= bytes.size()) {
          return absl::InvalidArgumentError("broken surrogate pair");
        }
        uint32_t lo = (bytes[k + 2] << 8) | bytes[k + 3];
        if (lo < 0xDC00 || lo > 0xDFFF) return absl::InvalidArgumentError("broken surrogate pair");
        mime::AppendCodePoint(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), &out);
        k += 2;
      } else if (u >= 0xDC00 && u <= 0xDFFF) {
        return absl::InvalidArgumentError("broken surrogate pair");
      } else if (u >= 0x20 && u <= 0x7E) {
        return absl::InvalidArgumentError("modified UTF-7 must not encode printable ASCII");
      } else {
        mime::AppendCodePoint(u, &out);
      }
    }
    i = end + 1;
  }
  return out;
}

}  // namespace mail::imap
