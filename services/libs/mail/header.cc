#include "services/libs/mail/header.h"

#include <cctype>

namespace mail {

size_t HeaderSectionLength(std::string_view message) {
  if (message.substr(0, 2) == "\r\n") return 2;  // no header at all
  size_t end = message.find("\r\n\r\n");
  return end == std::string_view::npos ? message.size() : end + 4;
}

bool HasHeaderField(std::string_view message, std::string_view name) {
  std::string_view header = message.substr(0, HeaderSectionLength(message));
  size_t pos = 0;
  while (pos < header.size()) {
    size_t eol = header.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = header.size();
    std::string_view line = header.substr(pos, eol - pos);
    if (line.size() > name.size() && line[name.size()] == ':') {
      bool same = true;
      for (size_t i = 0; i < name.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(line[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) return true;
    }
    pos = eol + 2;
  }
  return false;
}

}  // namespace mail
