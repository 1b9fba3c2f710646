// POP3 response formatting; see response.h.
#include "services/libs/pop3/response.h"

#include "absl/strings/str_cat.h"

namespace mail::pop3 {
namespace {

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// Calls `fn(line, has_ending)` for each line of `body`, line without its LF or CRLF.
template <typename Fn>
void ForEachLine(std::string_view body, Fn fn) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t lf = body.find('\n', pos);
    if (lf == std::string_view::npos) {
      fn(body.substr(pos), false);
      return;
    }
    size_t end = lf;
    if (end > pos && body[end - 1] == '\r') --end;
    fn(body.substr(pos, end - pos), true);
    pos = lf + 1;
  }
}

}  // namespace

std::string Ok(std::string_view text) {
  return text.empty() ? std::string("+OK\r\n") : absl::StrCat("+OK ", OneLine(text), "\r\n");
}

std::string Err(std::string_view text) { return absl::StrCat("-ERR ", OneLine(text), "\r\n"); }

std::string Err(std::string_view code, std::string_view text) {
  if (code.empty()) return Err(text);
  return absl::StrCat("-ERR [", OneLine(code), "] ", OneLine(text), "\r\n");
}

void AppendMultiline(std::string* out, std::string_view body) {
  out->reserve(out->size() + body.size() + body.size() / 32 + 8);
  ForEachLine(body, [out](std::string_view line, bool) {
    if (!line.empty() && line.front() == '.') out->push_back('.');
    out->append(line);
    out->append("\r\n");
  });
  out->append(".\r\n");
}

uint64_t CrlfSize(std::string_view body) {
  uint64_t size = 0;
  ForEachLine(body, [&size](std::string_view line, bool) { size += line.size() + 2; });
  return size;
}

std::string_view TopOfMessage(std::string_view message, uint32_t lines) {
  size_t pos = 0;
  // The header: up to and including the first empty line.
  bool in_header = true;
  while (pos < message.size() && in_header) {
    size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message;
    std::string_view line = message.substr(pos, lf - pos);
    if (line.empty() || line == "\r") in_header = false;
    pos = lf + 1;
  }
  if (in_header) return message;
  for (uint32_t i = 0; i < lines && pos < message.size(); ++i) {
    size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message;
    pos = lf + 1;
  }
  return message.substr(0, pos);
}

}  // namespace mail::pop3
