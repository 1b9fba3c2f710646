// Header fields prepared for SEARCH; see search_headers.h.
#include "services/libs/mail/search_headers.h"

#include <locale.h>
#include <wctype.h>

#include <map>
#include <vector>

#include "services/libs/base/log.h"
#include "services/libs/mail/charset.h"
#include "services/libs/mail/encoded_words.h"
#include "services/libs/mail/mime.h"

namespace mail::mime {
namespace {

void AppendJsonString(std::string* out, std::string_view utf8) {
  out->push_back('"');
  base::AppendJsonEscaped(*out, utf8);
  out->push_back('"');
}

// glibc's C.UTF-8 locale (Debian's libc-bin, always installed) for towlower: the
// simple lower-case mapping of all of Unicode. Null if missing: ASCII only then, which
// the unit tests would show.
locale_t UnicodeCtype() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

char32_t LowerCase(char32_t cp, locale_t unicode) {
  // Where folding (Unicode CaseFolding.txt) differs from lower case in a way searches
  // notice: final sigma, long s.
  if (cp == 0x03c2) return 0x03c3;
  if (cp == 0x017f) return 's';
  if (unicode == nullptr) return cp;
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(cp), unicode));
}

}  // namespace

std::string FoldForSearch(std::string_view text) {
  std::string valid;
  AppendSanitizedUtf8(text, &valid);
  std::string out;
  out.reserve(valid.size());
  const locale_t unicode = UnicodeCtype();
  for (size_t i = 0; i < valid.size();) {
    const auto u = static_cast<unsigned char>(valid[i]);
    if (u < 0x80) {
      out.push_back(u < 0x20 || u == 0x7f    ? ' '
                    : (u >= 'A' && u <= 'Z') ? static_cast<char>(u - 'A' + 'a')
                                             : static_cast<char>(u));
      ++i;
      continue;
    }
    // Valid UTF-8 here (sanitised above): a lead byte and its continuation bytes.
    const int len = u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : 2;
    char32_t cp = u & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (int k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(valid[i + k]) & 0x3f);
    i += static_cast<size_t>(len);
    AppendCodePoint(LowerCase(cp, unicode), &out);
  }
  return out;
}

bool ContainsFolded(std::string_view haystack, std::string_view needle) {
  return FoldForSearch(haystack).find(FoldForSearch(needle)) != std::string::npos;
}

std::string SearchHeaderJson(std::string_view header) {
  // Field order of first appearance does not matter to jsonb; a map keeps one key per
  // name (jsonb would keep only the last of duplicate keys).
  std::map<std::string, std::string> fields;
  size_t total = 0;
  for (const HeaderField& f : ParseHeader(header)) {
    if (total >= kMaxSearchHeaderBytes) break;
    std::string name = FoldForSearch(f.name);
    std::string value = FoldForSearch(DecodeEncodedWords(f.value));
    if (value.size() > kMaxSearchHeaderBytes - total) {
      value.resize(kMaxSearchHeaderBytes - total);
      // Do not leave half a UTF-8 sequence at the cut.
      while (!value.empty() && (static_cast<unsigned char>(value.back()) & 0xC0) == 0x80) {
        value.pop_back();
      }
      if (!value.empty() && static_cast<unsigned char>(value.back()) >= 0xC0) value.pop_back();
    }
    total += name.size() + value.size() + 1;
    auto [it, inserted] = fields.try_emplace(std::move(name), std::move(value));
    if (!inserted) {
      it->second.push_back('\n');
      it->second.append(value);
    }
  }
  std::string json = "{";
  for (const auto& [name, value] : fields) {
    if (json.size() > 1) json.push_back(',');
    AppendJsonString(&json, name);
    json.push_back(':');
    AppendJsonString(&json, value);
  }
  json.push_back('}');
  return json;
}

}  // namespace mail::mime
