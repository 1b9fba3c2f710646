// SMTP replies (RFC 5321 §4.2) with RFC 2034/3463 enhanced status codes, single- or
// multi-line ("250-first", "250 last"). A value type; build, then ToString() once.
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_REPLY_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_REPLY_H_

#include <string>
#include <string_view>
#include <vector>

namespace mail::smtp {

struct Reply {
  int code = 0;
  // "2.1.0"; empty for replies that carry none (the 220 greeting, EHLO lines,
  // 354), as Postfix does.
  std::string enhanced;
  std::vector<std::string> lines;  // at least one; text without code or CRLF

  static Reply Make(int code, std::string_view enhanced, std::string_view text);
  Reply& AddLine(std::string_view text);

  // The wire form: every line "CODE-[enh ]text\r\n" but the last "CODE [enh ]text\r\n".
  // CR, LF and NUL inside a text are replaced by spaces, so untrusted text (an
  // address echoed back) can never inject a line.
  std::string ToString() const;
  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
};

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_REPLY_H_
