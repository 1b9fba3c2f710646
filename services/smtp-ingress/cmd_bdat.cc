// BDAT (RFC 3030 CHUNKING): the message in counted chunks, with no dot-stuffing and no
// end marker. A chunk's octets are always read, even when the command is refused, so
// the session stays in step with a pipelining client; nothing past the size limit is
// kept. The last chunk hands the message off exactly as DATA does.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/libs/base/log.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {
namespace {

constexpr size_t kPiece = 64 * 1024;  // read chunks in pieces: memory stays bounded

// Stored mail has CRLF line endings only (as DATA gives it, see data_reader.h).
std::string NormalizeLineEndings(std::string body) {
  std::string out;
  out.reserve(body.size() + 2);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) out.push_back('\r');
    out.push_back(body[i]);
  }
  if (!out.empty() && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)) {
    out += "\r\n";
  }
  return out;
}

}  // namespace

asio::awaitable<void> Session::CmdBdat(const smtp::Command& cmd) {
  std::vector<std::string> words = absl::StrSplit(cmd.args, ' ', absl::SkipEmpty());
  uint64_t size = 0;
  bool last = words.size() == 2 && absl::AsciiStrToUpper(words[1]) == "LAST";
  bool digits = !words.empty() && words[0].size() <= 18 &&
                words[0].find_first_not_of("0123456789") == std::string::npos;
  if (!digits || !absl::SimpleAtoi(words[0], &size) || words.size() > 2 ||
      (words.size() == 2 && !last)) {
    // Without a chunk size the octets that follow cannot be told from commands.
    Reply(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]");
    closing_ = true;
    co_return;
  }
  const bool accept = in_mail_ && !rcpts_.empty();
  const size_t limit = config_.max_message_size;
  uint64_t remaining = size;
  while (remaining > 0) {
    std::string piece;
    size_t n = static_cast<size_t>(std::min<uint64_t>(remaining, kPiece));
    net::ReadResult r = co_await stream_->ReadExactly(n, &piece, config_.idle_timeout);
    if (r == net::ReadResult::kClosed) {
      closing_ = true;
      co_return;
    }
    if (r == net::ReadResult::kTimeout) {
      if (stopping_ != nullptr && stopping_->load()) {
        CloseWith(421, "4.3.2", "Service shutting down");
      } else {
        Reject("timeout");
        CloseWith(421, "4.4.2", "Error: timeout exceeded");
      }
      co_return;
    }
    remaining -= n;
    if (!accept || bdat_too_large_) continue;
    if (bdat_body_.size() + piece.size() > limit) {
      bdat_too_large_ = true;
      std::string().swap(bdat_body_);
    } else {
      bdat_body_ += piece;
    }
  }
  if (!in_mail_) {
    Reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (rcpts_.empty()) {
    Reply(rcpt_tried_ ? 554 : 503, "5.5.1",
          rcpt_tried_ ? "Error: no valid recipients" : "Error: need RCPT command");
    co_return;
  }
  bdat_ = true;
  bdat_received_ += size;
  if (bdat_too_large_) {
    // RFC 3030 §2: after an error the client sends no more chunks of this message.
    Reject("message_too_large");
    Reply(552, "5.3.4", absl::StrCat("Message too large; ", limit, " bytes max"));
    ResetTransaction();
    co_return;
  }
  if (!last) {
    Reply(250, "2.0.0", absl::StrCat(size, " octets received"));
    co_return;
  }
  std::string body = NormalizeLineEndings(std::move(bdat_body_));
  size_t received = bdat_received_;
  Reply(co_await HandOff(std::move(body), received));
  ResetTransaction();
}

}  // namespace mail::smtp_ingress
