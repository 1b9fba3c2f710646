// Charset conversion; see charset.h.
#include "services/libs/mail/charset.h"

#include <iconv.h>

#include <cerrno>

#include "services/libs/mail/address.h"

namespace mail::mime {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

void AppendLatin1(std::string_view text, std::string* out) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out->push_back(c);
    } else {
      out->push_back(static_cast<char>(0xC0 | (u >> 6)));
      out->push_back(static_cast<char>(0x80 | (u & 0x3F)));
    }
  }
}

// Length of the valid UTF-8 sequence at the start of `s`, 0 when invalid.
size_t Utf8SequenceLength(std::string_view s) {
  unsigned char c = static_cast<unsigned char>(s[0]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || n > s.size()) return 0;
  return IsValidUtf8(s.substr(0, n)) ? n : 0;
}

class Iconv {
 public:
  explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

  void Convert(std::string_view text, std::string* out) {
    char* in = const_cast<char*>(text.data());
    size_t in_left = text.size();
    char buf[1024];
    while (in_left > 0) {
      char* o = buf;
      size_t o_left = sizeof(buf);
      size_t r = iconv(cd_, &in, &in_left, &o, &o_left);
      out->append(buf, o - buf);
      if (r != static_cast<size_t>(-1)) continue;
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated input): replace one octet and go on.
      out->append(kReplacement);
      ++in;
      --in_left;
      iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    }
    // Flush shift state (ISO-2022-JP).
    char* o = buf;
    size_t o_left = sizeof(buf);
    iconv(cd_, nullptr, nullptr, &o, &o_left);
    out->append(buf, o - buf);
  }

 private:
  iconv_t cd_;
};

}  // namespace

void AppendSanitizedUtf8(std::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text.substr(i));
    if (n == 0) {
      out->append(kReplacement);
      ++i;
    } else {
      out->append(text.substr(i, n));
      i += n;
    }
  }
}

bool AppendUtf8(std::string_view charset, std::string_view text, std::string* out) {
  std::string name = AsciiLower(charset.substr(0, charset.find('*')));
  if (name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii") {
    AppendSanitizedUtf8(text, out);
    return true;
  }
  if (name == "iso-8859-1" || name == "latin1") {
    AppendLatin1(text, out);
    return true;
  }
  bool known = false;
  if (!name.empty() && name.size() < 64) {
    Iconv cv(name);
    if (cv.ok()) {
      cv.Convert(text, out);
      known = true;
    }
  }
  if (!known) {
    if (IsValidUtf8(text)) {
      out->append(text);
    } else {
      AppendLatin1(text, out);
    }
  }
  return known;
}

void AppendCodePoint(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace mail::mime
