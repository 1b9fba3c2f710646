// Message sections for FETCH; see message_sections.h.
#include "services/libs/imap/message_sections.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace mail::imap {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

MessageParts SplitMessage(std::string_view message) {
  size_t pos = 0;
  while (pos < message.size()) {
    size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) break;
    std::string_view line = message.substr(pos, lf - pos);
    pos = lf + 1;
    if (line.empty() || line == "\r") return {message.substr(0, pos), message.substr(pos)};
  }
  return {message, std::string_view()};
}

std::string FilterHeaderFields(std::string_view header, const std::vector<std::string>& names,
                               bool exclude) {
  std::string out;
  bool keep = false;  // whether the field being read (and its folded lines) is kept
  size_t pos = 0;
  while (pos < header.size()) {
    size_t lf = header.find('\n', pos);
    size_t end = lf == std::string_view::npos ? header.size() : lf + 1;
    std::string_view line = header.substr(pos, end - pos);
    pos = end;
    if (line == "\r\n" || line == "\n") break;  // the blank line ending the header
    if (line[0] == ' ' || line[0] == '\t') {
      if (keep) out.append(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      keep = false;
      continue;
    }
    std::string name =
        absl::AsciiStrToUpper(absl::StripTrailingAsciiWhitespace(Av(line.substr(0, colon))));
    bool listed = std::find(names.begin(), names.end(), name) != names.end();
    keep = listed != exclude;
    if (keep) {
      out.append(line);
      if (out.back() != '\n') out.append("\r\n");
    }
  }
  out.append("\r\n");
  return out;
}

std::string_view PartialRange(std::string_view data, uint32_t offset, uint32_t count) {
  if (offset >= data.size()) return std::string_view();
  return data.substr(offset, count);
}

}  // namespace mail::imap
