#include "services/libs/smtp/data_reader.h"

#include <algorithm>

namespace mail::smtp {

DataReader::State DataReader::AddLine(std::string_view line, bool crlf) {
  if (done_) return State::kDone;
  if (line == "." && crlf && prev_crlf_) {
    done_ = true;
    return State::kDone;
  }
  if (!crlf) saw_bare_lf_ = true;
  // RFC 5321 §4.5.2: a leading dot was doubled by the sender; remove one. A lone "."
  // that is not the end marker (bare LF around it) is kept as it came.
  if (!line.empty() && line[0] == '.' && line.size() > 1) line.remove_prefix(1);
  prev_crlf_ = crlf;
  size_t add = line.size() + 2;
  received_ += add;
  if (too_large_) return State::kMore;
  if (body_.size() + add > max_size_) {
    too_large_ = true;
    std::string().swap(body_);  // free what was held; the message is refused
    return State::kMore;
  }
  body_.append(line);
  body_.append("\r\n");
  return State::kMore;
}

void DataReader::AddSkippedLine() {
  too_large_ = true;
  received_ += MaxNextLine();
  prev_crlf_ = true;
  std::string().swap(body_);
}

size_t DataReader::MaxNextLine() const {
  if (too_large_) return 998;  // RFC 5321 §4.5.3.1.6 text line; the marker is 1 octet
  size_t remaining = max_size_ - body_.size();
  // A line of `remaining - 1` octets plus CRLF already overflows: AddLine sees it.
  return std::max<size_t>(remaining, 2);
}

}  // namespace mail::smtp
