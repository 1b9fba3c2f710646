// Header fields prepared for SEARCH; see search_headers.h.
#include "services/libs/mail/search_headers.h"

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

}  // namespace

std::string FoldForSearch(std::string_view text) {
  std::string valid;
  AppendSanitizedUtf8(text, &valid);
  for (char& c : valid) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = ' ';
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return valid;
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
