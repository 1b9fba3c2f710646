// The SMTP client's wire format, without I/O: reply parsing (RFC 5321 §4.2, enhanced
// codes RFC 2034/3463), EHLO capabilities, command lines and DATA dot-stuffing
// (RFC 5321 §4.5.2). Pure functions and a small incremental parser; meant to move to
// services/libs/smtp once that library has a home for client-side code.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_CLIENT_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::outbound_relay {

struct SmtpReply {
  int code = 0;          // 250; 0 when no reply was received (connection or DNS failure)
  std::string enhanced;  // "2.0.0" when the server sent one (or we synthesized it), else ""
  std::vector<std::string> lines;  // text of each line, code and separator removed
  // The cause id (services/libs/delivery) when the relay already knows it (DNS,
  // connection, TLS, local delivery); "" means: classify code + enhanced code + text.
  std::string cause;

  int cls() const { return code / 100; }
  bool positive() const { return cls() == 2 || cls() == 3; }
  bool transient() const { return cls() == 4; }
  bool permanent() const { return cls() == 5; }
  // "550 5.1.1 No such user" (first line only; for logs and the attempts table).
  std::string Summary() const;
  // The first line's text without the enhanced code.
  std::string Text() const;
};

// Feeds reply lines (without CRLF) one at a time:
//   returns 1 when a complete reply is in `reply()`, 0 when more lines are needed,
//   -1 when the line is not a valid reply line (or the reply is too long).
class ReplyParser {
 public:
  static constexpr size_t kMaxLines = 200;
  int Feed(std::string_view line);
  const SmtpReply& reply() const { return reply_; }
  void Reset() { reply_ = SmtpReply(); }

 private:
  SmtpReply reply_;
};

// The leading "x.y.z" of `text` when it is an RFC 3463 code of the class `code_class`
// followed by a space or the end; "" otherwise.
std::string ExtractEnhancedCode(std::string_view text, int code_class);

// What an EHLO reply advertises (RFC 5321 §4.1.1.1: keyword lines after the first).
struct EhloCapabilities {
  bool starttls = false;
  bool pipelining = false;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool size = false;
  uint64_t max_size = 0;  // 0 = SIZE without a limit (or not advertised)
};
EhloCapabilities ParseEhlo(const SmtpReply& reply);

// "MAIL FROM:<sender> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]\r\n".
std::string MailFromCommand(std::string_view sender, const EhloCapabilities& caps, uint64_t size,
                            bool eight_bit, bool smtputf8);
// "RCPT TO:<address>\r\n".
std::string RcptToCommand(std::string_view address);

// The DATA payload for `body`: line endings normalized to CRLF (bare LF and CR are not
// allowed on the wire, RFC 5321 §2.3.8), a leading "." doubled on every line, a final
// CRLF added when missing, and the terminating ".\r\n".
std::string DotStuff(std::string_view body);

// True when `body` has any octet above 127 (needs BODY=8BITMIME).
bool HasEightBit(std::string_view body);

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_CLIENT_H_
