// IDLE (RFC 2177): the client waits for news; the server pushes EXISTS, EXPUNGE and
// FETCH (FLAGS) as they happen until the client sends DONE. With a mailbox selected the
// session watches it (MailboxClient::WatchMailbox, LISTEN/NOTIFY in mailbox-store): a
// change interrupts the wait for DONE and the session applies the change as
// SharedWatches read it for every session of the mailbox, or re-reads the mailbox
// itself when that read does not fit its snapshot. Without a watch (the stream failed
// or ended) it polls every kPollInterval instead.
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

// Pushes held at most; past it the session reads for itself.
constexpr size_t kMaxPendingPushes = 16;

void Session::MailboxChanged(std::chrono::steady_clock::time_point heard,
                             std::shared_ptr<const Push> push, bool claimed) {
  // The common case, done here and now: IDLE waits for DONE with nothing else pending,
  // and the push fits. The news goes straight to the socket while the read stays
  // pending (RFC 2177 §3: untagged responses at any time during IDLE); what the socket
  // does not take now, the stream writes in the background ahead of anything later.
  if (push != nullptr && reading_idle_ && !closing_ && !change_pending_ && out_.empty()) {
    pushes_.emplace_back(std::move(push), claimed);
    if (!ApplyPushes()) {
      read_needed_ = true;  // ApplyPushes cleared it; the loop must read
    } else {
      if (!out_.empty() && stream_->WriteNow(out_) && metrics_ != nullptr) {
        metrics_->IdlePushed(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - heard).count());
      }
      out_.clear();  // written or queued; on a closed connection the read ends IDLE
      return;
    }
  }
  if (!change_pending_ || heard < change_heard_) change_heard_ = heard;
  change_pending_ = true;
  if (push == nullptr || pushes_.size() >= kMaxPendingPushes) {
    read_needed_ = true;
    pushes_.clear();
  } else if (!read_needed_) {
    pushes_.emplace_back(std::move(push), claimed);
  }
  if (reading_idle_) stream_->Interrupt();
}

bool Session::ApplyPushes() {
  std::vector<std::pair<std::shared_ptr<const Push>, bool>> pushes = std::move(pushes_);
  pushes_.clear();
  const bool read = read_needed_;
  read_needed_ = false;
  if (read || !selected_) return false;
  SelectedMailbox& box = *selected_;
  for (const auto& [push, claimed] : pushes) {
    switch (push->Fits(box)) {
      case Push::Fit::kNothing:
        continue;
      case Push::Fit::kReadSelf:
        return false;
      case Push::Fit::kApply:
        break;
    }
    if (metrics_ != nullptr) metrics_->IdleChange("shared");
    const v1::ListMessagesResponse& r = push->response();
    // \Recent (RFC 3501 §2.3.2): the new messages are ours if the read claimed them
    // for us; an EXAMINE session sees the mark as it was before any claim.
    const uint32_t first_recent =
        claimed || box.read_only ? r.first_recent_uid() : r.next_first_recent_uid();
    Send(ApplyChange(&box, *push->ChangeFor(box.messages), first_recent, !rev2_));
  }
  return true;
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
  pushes_.clear();
  read_needed_ = false;
  if (selected_) {
    std::weak_ptr<Session> weak = weak_from_this();
    asio::any_io_executor strand = executor_;
    auto on_change = [weak, strand](std::shared_ptr<const Push> push, bool claimed) {
      asio::post(strand, [weak, heard = std::chrono::steady_clock::now(), push = std::move(push),
                          claimed]() mutable {
        if (auto self = weak.lock()) self->MailboxChanged(heard, std::move(push), claimed);
      });
    };
    if (config_.watches != nullptr) {
      SharedWatches::Listener listener;
      listener.on_change = std::move(on_change);
      listener.recent = rev2_                  ? SharedWatches::Recent::kNone
                        : selected_->read_only ? SharedWatches::Recent::kShow
                                               : SharedWatches::Recent::kClaim;
      listener.highest_modseq = selected_->highest_modseq;
      listener.max_uid = selected_->max_uid();
      watch = config_.watches->Watch(account_, selected_->name, std::move(listener));
    } else {
      v1::WatchMailboxRequest request;
      request.set_account(account_);
      request.set_mailbox(selected_->name);
      watch = mailbox_.WatchMailbox(request, [on_change] { on_change(nullptr, false); });
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
      bool synced = ApplyPushes();
      if (!synced) {
        if (metrics_ != nullptr) metrics_->IdleChange("own");
        synced = co_await SyncSelected();  // not in a condition (GCC 12)
      }
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
    bool synced = false;
    if (change_pending_) {
      pushing = change_heard_;
      change_pending_ = false;
      synced = ApplyPushes();
      if (!synced && metrics_ != nullptr) metrics_->IdleChange("own");
    }
    if (!synced) synced = co_await SyncSelected();
    stale = !synced;
  }
}

}  // namespace mail::imap_access
