// Fuzzes everything pop3-access does with a client line before any backend call: the
// command parser (keyword, arguments, the unsplit rest), message numbers, SASL PLAIN,
// and the response writers that echo client text; plus the multi-line writer and TOP
// over the input as a message body. Checks the invariants the session relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "services/libs/pop3/command.h"
#include "services/libs/pop3/response.h"
#include "services/libs/pop3/sasl.h"

namespace {

// A status line is exactly one CRLF-terminated line.
void CheckOneLine(const std::string& line) {
  if (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) std::abort();
  if (line.find_first_of("\r\n") != line.size() - 2) std::abort();
}

void CheckMultiline(std::string_view body) {
  std::string out;
  mail::pop3::AppendMultiline(&out, body);
  // Ends with the terminator; every LF is preceded by CR; no line is a lone "." before
  // the end (byte-stuffing), so a client cannot be made to see an early end.
  if (out.size() < 3 || out.compare(out.size() - 3, 3, ".\r\n") != 0) std::abort();
  size_t start = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\n') continue;
    if (i == 0 || out[i - 1] != '\r') std::abort();
    std::string_view line(out.data() + start, i + 1 - start);
    if (line == ".\r\n" && i + 1 != out.size()) std::abort();
    start = i + 1;
  }
  // The octet count RETR announces is the unstuffed size of what is sent.
  if (mail::pop3::CrlfSize(body) > out.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The session hands the parser one line without its CRLF, at most kMaxCommandLine.
  std::string_view line = input.substr(0, input.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  auto cmd = mail::pop3::ParseCommand(line);
  if (cmd.ok()) {
    if (line.size() > mail::pop3::kMaxCommandLine) std::abort();
    if (cmd->keyword.size() < 3 || cmd->keyword.size() > 4) std::abort();
    if (cmd->args.size() > mail::pop3::kMaxArguments) std::abort();
    if (cmd->rest.size() > line.size()) std::abort();
    for (const std::string& arg : cmd->args) {
      uint32_t n = 0;
      if (mail::pop3::ParseNumber(arg, &n) && arg.empty()) std::abort();
      auto creds = mail::pop3::DecodeSaslPlain(arg);
      if (creds.ok() && (creds->authcid.empty() || creds->password.empty())) std::abort();
    }
    // Unknown keywords and arguments are echoed in replies.
    CheckOneLine(mail::pop3::Err("", "Unknown command " + cmd->keyword));
    CheckOneLine(mail::pop3::Err("AUTH", cmd->rest));
  } else {
    CheckOneLine(mail::pop3::Err("", std::string(cmd.status().message())));
  }
  CheckOneLine(mail::pop3::Ok(line));

  CheckMultiline(input);
  uint32_t lines = size > 0 ? data[0] % 8 : 0;
  std::string_view top = mail::pop3::TopOfMessage(input, lines);
  if (top.size() > input.size() || input.substr(0, top.size()) != top) std::abort();
  CheckMultiline(top);
  return 0;
}
