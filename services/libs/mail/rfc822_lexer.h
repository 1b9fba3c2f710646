// A small RFC 5322 §3.2 lexer over an unfolded header value, shared by the MIME and
// address parsers: comments and white space (CFWS), quoted strings, atoms and MIME
// tokens. Never reads past the end; pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_RFC822_LEXER_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_RFC822_LEXER_H_

#include <string>
#include <string_view>

namespace mail::mime {

class Rfc822Lexer {
 public:
  explicit Rfc822Lexer(std::string_view text) : s_(text) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void Advance() {
    if (!AtEnd()) ++pos_;
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p < s_.size() ? p : s_.size(); }
  std::string_view rest() const { return s_.substr(pos_); }

  // Skips white space and (nested) comments; the text of the last comment seen is
  // kept for "addr (Display Name)". Returns false at the end of input.
  bool SkipCfws();
  const std::string& last_comment() const { return last_comment_; }
  void clear_last_comment() { last_comment_.clear(); }

  // At '"': appends the unescaped content and consumes the closing quote (an
  // unterminated string runs to the end).
  void ReadQuotedString(std::string* out);
  // atext run (RFC 5322 §3.2.3), 8-bit octets allowed. False when empty.
  bool ReadAtom(std::string* out);
  // atext or '.' run (obs-phrase / dot-atom). False when empty.
  bool ReadDotAtom(std::string* out);
  // RFC 2045 token: any CHAR but SPACE, CTLs and tspecials; 8-bit allowed.
  bool ReadToken(std::string* out);

  static bool IsAtext(char c);
  static bool IsTokenChar(char c);

 private:
  std::string_view s_;
  size_t pos_ = 0;
  std::string last_comment_;
};

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_RFC822_LEXER_H_
