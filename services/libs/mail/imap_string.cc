// IMAP string forms; see imap_string.h.
#include "services/libs/mail/imap_string.h"

#include "absl/strings/str_cat.h"

namespace mail::mime {
namespace {

// Past four escapes a literal is shorter (Dovecot's QUOTED_MAX_ESCAPE_CHARS).
constexpr int kMaxEscapes = 4;

}  // namespace

void AppendImapString(std::string* out, std::string_view s) {
  int escapes = 0;
  bool literal = false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      if (++escapes > kMaxEscapes) literal = true;
    } else if (c == '\r' || c == '\n' || u >= 0x80 || u == 0) {
      literal = true;
    }
    if (literal) break;
  }
  if (literal) {
    absl::StrAppend(out, "{", s.size(), "}\r\n");
    for (char c : s) out->push_back(c == '\0' ? static_cast<char>(0x80) : c);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendImapNString(std::string* out, const std::optional<std::string>& s) {
  if (!s) {
    out->append("NIL");
    return;
  }
  AppendImapString(out, *s);
}

}  // namespace mail::mime
