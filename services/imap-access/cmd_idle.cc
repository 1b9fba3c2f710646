// IDLE (RFC 2177): the client waits for news; the server pushes EXISTS, EXPUNGE and
// FETCH (FLAGS) as they happen until the client sends DONE. With a mailbox selected the
// session watches it (MailboxClient::WatchMailbox, LISTEN/NOTIFY in mailbox-store): a
// change interrupts the wait for DONE and the session re-reads the mailbox. Without a
// watch (the stream failed or ended) it polls every kPollInterval instead.
#include <asio/post.hpp>

#include "absl/strings/match.h"
#include "services/imap-access/session.h"
#include "services/imap-access/shared_watches.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {
namespace {

constexpr std::chrono::milliseconds kPollInterval(500);
// With a live watch, a safety re-read this often anyway.
constexpr std::chrono::milliseconds kWatchedInterval(30000);

}  // namespace

void Session::MailboxChanged(std::chrono::steady_clock::time_point heard) {
  if (!change_pending_ || heard < change_heard_) change_heard_ = heard;
  change_pending_ = true;
  if (reading_idle_) stream_->Interrupt();
}

asio::awaitable<void> Session::CmdIdle(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "IDLE takes no arguments");
    co_return;
  }
  Send(imap::Continuation("idling"));
  // The autologout timer restarts with IDLE (RFC 2177 §3: re-issue IDLE within 29 min).
  const auto deadline = std::chrono::steady_clock::now() + config_.idle_timeout;
  std::unique_ptr<clients::MailboxWatch> watch;
  change_pending_ = false;
  if (selected_) {
    std::weak_ptr<Session> weak = weak_from_this();
    asio::any_io_executor strand = executor_;
    auto on_change = [weak, strand] {
      asio::post(strand, [weak, heard = std::chrono::steady_clock::now()] {
        if (auto self = weak.lock()) self->MailboxChanged(heard);
      });
    };
    if (config_.watches != nullptr) {
      watch = config_.watches->Watch(account_, selected_->name, on_change);
    } else {
      v1::WatchMailboxRequest request;
      request.set_account(account_);
      request.set_mailbox(selected_->name);
      watch = mailbox_.WatchMailbox(request, on_change);
    }
  }
  std::string line;
  // When the change being pushed was heard (IdlePushed), while its news is on the way.
  std::optional<std::chrono::steady_clock::time_point> pushing;
  // The last re-read failed (mailbox-store busy or away): try again at the poll
  // interval rather than at the next change or the 30 s safety re-read.
  bool stale = false;
  for (;;) {
    const bool news = pushing.has_value() && !out_.empty();
    bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
    if (!flushed) {
      closing_ = true;
      co_return;
    }
    if (news && metrics_ != nullptr) {
      metrics_->IdlePushed(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - *pushing).count());
    }
    pushing.reset();
    if (change_pending_) {
      change_pending_ = false;
      pushing = change_heard_;
      const bool synced = co_await SyncSelected();
      stale = !synced;
      continue;
    }
    const bool watched = watch != nullptr && !watch->ended();
    waiting_for_command_ = true;
    reading_idle_ = true;
    net::ReadResult read = co_await stream_->ReadLine(
        &line, config_.limits.max_line, watched && !stale ? kWatchedInterval : kPollInterval);
    reading_idle_ = false;
    waiting_for_command_ = false;
    if (closing_ || read == net::ReadResult::kClosed) {
      closing_ = true;
      co_return;
    }
    if (read == net::ReadResult::kTooLong) {
      Send(imap::UntaggedStatus("BYE", "TOOBIG", "Command line too long"));
      closing_ = true;
      co_return;
    }
    if (read == net::ReadResult::kOk) {
      if (absl::EqualsIgnoreCase(line, "DONE")) {
        Tagged(cmd, "OK", "", "IDLE terminated");
      } else {
        Tagged(cmd, "BAD", "", "Expected DONE to end IDLE");
      }
      co_return;
    }
    // The interval passed, or a change interrupted the read.
    if (stopping_ != nullptr && stopping_->load()) {
      Send(imap::UntaggedStatus("BYE", "", "Server shutting down, try again later"));
      closing_ = true;
      co_return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Send(imap::UntaggedStatus("BYE", "", "Autologout: idle for too long"));
      closing_ = true;
      co_return;
    }
    if (change_pending_) pushing = change_heard_;
    change_pending_ = false;
    const bool synced = co_await SyncSelected();
    stale = !synced;
  }
}

}  // namespace mail::imap_access
