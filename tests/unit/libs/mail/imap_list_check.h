// Test helper: is `s` one well-formed IMAP parenthesised list as FETCH would send it
// (RFC 3501 §4, §9: balanced parentheses, quoted strings without CR, LF or 8-bit
// octets and with valid escapes, literals whose length matches, atoms and numbers)?
// Used by the corpus test and the mime_fuzz target on ENVELOPE and BODYSTRUCTURE.
#ifndef MAILSUITE_TESTS_UNIT_LIBS_MAIL_IMAP_LIST_CHECK_H_
#define MAILSUITE_TESTS_UNIT_LIBS_MAIL_IMAP_LIST_CHECK_H_

#include <cstddef>
#include <string_view>

namespace mail::mime::testing {

inline bool IsWellFormedImapList(std::string_view s) {
  if (s.empty() || s[0] != '(') return false;
  size_t i = 0;
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '(') {
      ++depth;
      ++i;
    } else if (c == ')') {
      if (--depth < 0) return false;
      ++i;
      if (depth == 0) return i == s.size();
    } else if (c == ' ') {
      if (i + 1 >= s.size() || s[i + 1] == ' ' || s[i + 1] == ')') return false;
      ++i;
    } else if (c == '"') {
      ++i;
      while (true) {
        if (i >= s.size()) return false;
        unsigned char u = static_cast<unsigned char>(s[i]);
        if (u == '\r' || u == '\n' || u == 0 || u >= 0x80) return false;
        if (s[i] == '\\') {
          if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\')) return false;
          i += 2;
          continue;
        }
        ++i;
        if (s[i - 1] == '"') break;
      }
    } else if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string_view::npos || close == i + 1) return false;
      size_t n = 0;
      for (size_t j = i + 1; j < close; ++j) {
        if (s[j] < '0' || s[j] > '9') return false;
        n = n * 10 + static_cast<size_t>(s[j] - '0');
        if (n > s.size()) return false;
      }
      if (s.substr(close + 1, 2) != "\r\n") return false;
      i = close + 3 + n;
      if (i > s.size()) return false;
      for (size_t j = close + 3; j < i; ++j) {
        if (s[j] == '\0') return false;
      }
    } else if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
      while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    } else {
      return false;
    }
    // After a value or ')': a space, a ')' or, between body parts, a '('.
    char prev = s[i - 1];
    if (prev != '(' && prev != ' ' && i < s.size() && s[i] != ' ' && s[i] != ')' && s[i] != '(') {
      return false;
    }
  }
  return false;
}

}  // namespace mail::mime::testing

#endif  // MAILSUITE_TESTS_UNIT_LIBS_MAIL_IMAP_LIST_CHECK_H_
