#include "services/libs/smtp/reply.h"

#include "absl/strings/str_cat.h"

namespace mail::smtp {

Reply Reply::Make(int code, std::string_view enhanced, std::string_view text) {
  Reply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.lines.emplace_back(text);
  return r;
}

Reply& Reply::AddLine(std::string_view text) {
  lines.emplace_back(text);
  return *this;
}

std::string Reply::ToString() const {
  std::string out;
  std::string code_text = absl::StrCat(code);
  size_t n = lines.empty() ? 1 : lines.size();
  for (size_t i = 0; i < n; ++i) {
    out += code_text;
    out += (i + 1 == n) ? ' ' : '-';
    if (!enhanced.empty()) absl::StrAppend(&out, enhanced, " ");
    if (i < lines.size()) {
      for (char c : lines[i]) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
    }
    // A reply with an enhanced code but no text would end in a space; trim it. A
    // bare "334 " (an empty SASL challenge, RFC 4954 §4) keeps its space.
    if (!enhanced.empty() && out.back() == ' ') out.pop_back();
    out += "\r\n";
  }
  return out;
}

}  // namespace mail::smtp
