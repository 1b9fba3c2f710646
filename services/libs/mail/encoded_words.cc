// RFC 2047 decoding; see encoded_words.h.
#include "services/libs/mail/encoded_words.h"

#include "services/libs/mail/address.h"
#include "services/libs/mail/charset.h"

namespace mail::mime {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

struct Word {
  std::string charset;
  std::string octets;  // decoded, still in `charset`
  size_t end = 0;      // one past the closing "?="
};

// Parses an encoded word starting at `pos` ("=?"), or returns false.
bool ParseWord(std::string_view s, size_t pos, Word* word) {
  size_t q1 = s.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 == pos + 2) return false;
  if (q1 + 2 >= s.size() || s[q1 + 2] != '?') return false;
  char enc = s[q1 + 1];
  if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') return false;
  size_t text_begin = q1 + 3;
  size_t close = s.find("?=", text_begin);
  if (close == std::string_view::npos) return false;
  std::string_view charset = s.substr(pos + 2, q1 - pos - 2);
  for (char c : charset) {
    if (c == ' ' || c == '\t' || c == '?') return false;
  }
  std::string_view text = s.substr(text_begin, close - text_begin);
  word->charset = std::string(charset);
  word->octets =
      (enc == 'B' || enc == 'b') ? DecodeBase64(text) : DecodeQuotedPrintable(text, true);
  word->end = close + 2;
  return true;
}

void AppendPlain(std::string_view text, std::string* out) {
  if (IsValidUtf8(text)) {
    out->append(text);
  } else {
    AppendUtf8("iso-8859-1", text, out);
  }
}

}  // namespace

std::string DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      continue;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(std::string_view text, bool q_encoding) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_' && q_encoding) {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (c == '=' && !q_encoding && i + 1 < text.size() &&
               (text[i + 1] == '\r' || text[i + 1] == '\n')) {
      // Soft line break.
      ++i;
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string DecodeEncodedWords(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  size_t pos = 0;
  size_t plain_begin = 0;
  // Octets of the pending run of adjacent words in one charset.
  std::string pending_charset, pending;
  bool have_pending = false;
  auto flush = [&] {
    if (have_pending) AppendUtf8(pending_charset, pending, &out);
    have_pending = false;
    pending.clear();
  };
  while (pos < value.size()) {
    size_t start = value.find("=?", pos);
    if (start == std::string_view::npos) break;
    Word word;
    if (!ParseWord(value, start, &word)) {
      pos = start + 2;
      continue;
    }
    std::string_view between = value.substr(plain_begin, start - plain_begin);
    bool only_space = between.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (have_pending && only_space) {
      // RFC 2047 §6.2: linear white space between adjacent encoded words is ignored.
      if (AsciiLower(word.charset) != AsciiLower(pending_charset)) {
        flush();
        pending_charset = word.charset;
      }
    } else {
      flush();
      AppendPlain(between, &out);
      pending_charset = word.charset;
    }
    pending += word.octets;
    have_pending = true;
    pos = plain_begin = word.end;
  }
  flush();
  AppendPlain(value.substr(plain_begin), &out);
  return out;
}

}  // namespace mail::mime
