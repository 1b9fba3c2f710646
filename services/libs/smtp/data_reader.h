// The DATA phase (RFC 5321 §4.1.1.4, §4.5.2) as a pure line-fed state machine:
// removes dot-stuffing, recognises the end marker, stores every line with CRLF, and
// stops storing once the size limit is passed while still consuming up to the end
// marker, so a too-large message costs no memory past the limit. One per
// transaction, owned by the session coroutine.
//
// Bare LF: lines ending in a lone LF are accepted and stored with CRLF (the store
// and the relay only ever see CRLF). The end marker is recognised only as
// <CRLF>.<CRLF>: a "." line that ends, or follows a line that ended, in a bare LF is
// content, not the end (the SMTP-smuggling defence Postfix calls
// smtpd_forbid_bare_newline = normalize).
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_DATA_READER_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_DATA_READER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace mail::smtp {

class DataReader {
 public:
  enum class State { kMore, kDone };

  explicit DataReader(size_t max_size) : max_size_(max_size) {}

  // One line as read from the connection, without its line ending; `crlf` says the
  // ending was CRLF rather than a bare LF. Returns kDone at the end marker, after
  // which nothing more may be added.
  State AddLine(std::string_view line, bool crlf);
  // The connection skipped a line longer than MaxNextLine(): it is over the limit.
  void AddSkippedLine();

  // The length limit to read the next line with: just past what still fits, so an
  // overflow is seen without buffering it; small once over the limit, as only the
  // end marker still matters.
  size_t MaxNextLine() const;

  bool done() const { return done_; }
  bool too_large() const { return too_large_; }
  bool saw_bare_lf() const { return saw_bare_lf_; }
  // The message as received with CRLF line endings (empty when too_large()).
  std::string& body() { return body_; }
  // Octets received so far, counting those dropped past the limit.
  size_t received() const { return received_; }

 private:
  size_t max_size_;
  std::string body_;
  size_t received_ = 0;
  bool prev_crlf_ = true;  // the DATA command line itself ended the previous line
  bool too_large_ = false;
  bool done_ = false;
  bool saw_bare_lf_ = false;
};

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_DATA_READER_H_
