// RFC 5322 lexer; see rfc822_lexer.h.
#include "services/libs/mail/rfc822_lexer.h"

#include <cstring>

namespace mail::mime {

bool Rfc822Lexer::IsAtext(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;
  if (u <= 0x20 || u == 0x7F) return false;
  return std::strchr("()<>[]:;@\\,.\"", c) == nullptr;
}

bool Rfc822Lexer::IsTokenChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;
  if (u <= 0x20 || u == 0x7F) return false;
  return std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr;
}

bool Rfc822Lexer::SkipCfws() {
  while (!AtEnd()) {
    char c = s_[pos_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++pos_;
    } else if (c == '(') {
      // Comments nest (RFC 5322 §3.2.2); bounded by the input length.
      int level = 0;
      std::string comment;
      while (!AtEnd()) {
        c = s_[pos_++];
        if (c == '\\' && !AtEnd()) {
          comment.push_back(s_[pos_++]);
          continue;
        }
        if (c == '(') {
          if (level++ > 0) comment.push_back(c);
        } else if (c == ')') {
          if (--level == 0) break;
          comment.push_back(c);
        } else if (c != '\r' && c != '\n') {
          comment.push_back(c);
        }
      }
      last_comment_ = std::move(comment);
    } else {
      return true;
    }
  }
  return false;
}

void Rfc822Lexer::ReadQuotedString(std::string* out) {
  ++pos_;  // the opening quote
  while (!AtEnd()) {
    char c = s_[pos_++];
    if (c == '"') return;
    if (c == '\\' && !AtEnd()) c = s_[pos_++];
    if (c == '\r' || c == '\n') continue;
    out->push_back(c);
  }
}

bool Rfc822Lexer::ReadAtom(std::string* out) {
  size_t start = pos_;
  while (!AtEnd() && IsAtext(s_[pos_])) ++pos_;
  out->append(s_.substr(start, pos_ - start));
  return pos_ > start;
}

bool Rfc822Lexer::ReadDotAtom(std::string* out) {
  size_t start = pos_;
  while (!AtEnd() && (IsAtext(s_[pos_]) || s_[pos_] == '.')) ++pos_;
  out->append(s_.substr(start, pos_ - start));
  return pos_ > start;
}

bool Rfc822Lexer::ReadToken(std::string* out) {
  size_t start = pos_;
  while (!AtEnd() && IsTokenChar(s_[pos_])) ++pos_;
  out->append(s_.substr(start, pos_ - start));
  return pos_ > start;
}

}  // namespace mail::mime
