// SMTP client wire format; see smtp_client.h.
#include "services/outbound-relay/smtp_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mail::outbound_relay {

std::string SmtpReply::Text() const {
  if (lines.empty()) return "";
  std::string_view text = lines[0];
  if (!enhanced.empty() && text.substr(0, enhanced.size()) == enhanced) {
    text.remove_prefix(enhanced.size());
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return std::string(text);
}

std::string SmtpReply::Summary() const {
  std::vector<std::string> parts;
  if (code != 0) parts.push_back(std::to_string(code));
  if (!enhanced.empty()) parts.push_back(enhanced);
  std::string text = Text();
  if (!text.empty()) parts.push_back(std::move(text));
  return absl::StrJoin(parts, " ");
}

std::string ExtractEnhancedCode(std::string_view text, int code_class) {
  // class "." subject "." detail, subject and detail 1-3 digits (RFC 3463 §2).
  if (text.size() < 5 || text[0] != static_cast<char>('0' + code_class) || text[1] != '.') {
    return "";
  }
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 3) return "";
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return "";
      ++i;
    }
  }
  if (i < text.size() && text[i] != ' ') return "";
  return std::string(text.substr(0, i));
}

int ReplyParser::Feed(std::string_view line) {
  // Reply-line = Reply-code [ SP / "-" text ] (RFC 5321 §4.2). Codes 2yz..5yz only.
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
      !absl::ascii_isdigit(static_cast<unsigned char>(line[2]))) {
    return -1;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return -1;
  if (reply_.lines.empty()) {
    reply_.code = code;
  } else if (code != reply_.code) {
    return -1;
  }
  if (reply_.lines.size() >= kMaxLines) return -1;
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  reply_.lines.emplace_back(text);
  if (reply_.lines.size() == 1) reply_.enhanced = ExtractEnhancedCode(text, code / 100);
  const bool more = line.size() > 3 && line[3] == '-';
  return more ? 0 : 1;
}

EhloCapabilities ParseEhlo(const SmtpReply& reply) {
  EhloCapabilities caps;
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    std::vector<std::string> words = absl::StrSplit(reply.lines[i], ' ', absl::SkipEmpty());
    if (words.empty()) continue;
    std::string keyword = absl::AsciiStrToUpper(words[0]);
    if (keyword == "STARTTLS") {
      caps.starttls = true;
    } else if (keyword == "PIPELINING") {
      caps.pipelining = true;
    } else if (keyword == "8BITMIME") {
      caps.eight_bit_mime = true;
    } else if (keyword == "SMTPUTF8") {
      caps.smtputf8 = true;
    } else if (keyword == "DSN") {
      caps.dsn = true;
    } else if (keyword == "SIZE") {
      caps.size = true;
      uint64_t limit = 0;
      if (words.size() > 1 && absl::SimpleAtoi(words[1], &limit)) {
        caps.max_size = limit;
      }
    }
  }
  return caps;
}

std::string MailFromCommand(std::string_view sender, const EhloCapabilities& caps, uint64_t size,
                            bool eight_bit, bool smtputf8) {
  std::string cmd = absl::StrCat("MAIL FROM:<", std::string(sender), ">");
  if (caps.size) absl::StrAppend(&cmd, " SIZE=", size);
  if (eight_bit && caps.eight_bit_mime) absl::StrAppend(&cmd, " BODY=8BITMIME");
  if (smtputf8 && caps.smtputf8) absl::StrAppend(&cmd, " SMTPUTF8");
  absl::StrAppend(&cmd, "\r\n");
  return cmd;
}

std::string RcptToCommand(std::string_view address) {
  return absl::StrCat("RCPT TO:<", std::string(address), ">\r\n");
}

std::string DotStuff(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 50 + 8);
  bool line_start = true;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\r') {
      // CRLF, or a bare CR that becomes a line end too.
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

bool HasEightBit(std::string_view body) {
  for (char c : body) {
    if (static_cast<unsigned char>(c) > 127) return true;
  }
  return false;
}

}  // namespace mail::outbound_relay
