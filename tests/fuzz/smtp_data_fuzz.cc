// Fuzzes smtp::DataReader, the DATA phase state machine: whatever the client sends,
// the stored body stays within the limit, has only CRLF line endings, and ends at
// the first CRLF.CRLF that is not touched by a bare LF.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "services/libs/smtp/data_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first octet picks the size limit, so both sides of it get explored.
  size_t max_size = 16 + data[0] * 8;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  mail::smtp::DataReader reader(max_size);
  size_t start = 0;
  while (start < input.size() && !reader.done()) {
    size_t lf = input.find('\n', start);
    if (lf == std::string_view::npos) break;  // an unfinished line: more data needed
    std::string_view line = input.substr(start, lf - start);
    bool crlf = !line.empty() && line.back() == '\r';
    if (crlf) line.remove_suffix(1);
    start = lf + 1;
    // What net::Stream does with a line over the limit it was asked for.
    if (line.size() > reader.MaxNextLine()) {
      reader.AddSkippedLine();
      continue;
    }
    reader.AddLine(line, crlf);
  }
  const std::string& body = reader.body();
  if (body.size() > max_size) std::abort();
  if (reader.too_large() && !body.empty()) std::abort();
  if (!body.empty() && body.compare(body.size() - 2, 2, "\r\n") != 0) std::abort();
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) std::abort();
  }
  return 0;
}
