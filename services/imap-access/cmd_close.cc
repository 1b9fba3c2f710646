// CLOSE (RFC 3501 §6.4.2) and UNSELECT (RFC 3691): leave the selected mailbox; CLOSE
// first removes the messages marked \Deleted unless the mailbox was EXAMINEd.
#include <vector>

#include "services/imap-access/session.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdClose(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", cmd.name + " takes no arguments");
    co_return;
  }
  SelectedMailbox box = std::move(*selected_);
  selected_.reset();
  state_ = kAuthenticated;
  if (cmd.name == "CLOSE" && !box.read_only) {
    v1::ExpungeMessagesRequest request;
    request.set_account(account_);
    request.set_mailbox(box.name);
    for (const auto& m : box.messages) {
      if (HasFlag(m, "\\Deleted")) request.add_uids(m.uid());
    }
    if (request.uids_size() > 0) {
      absl::StatusOr<v1::ExpungeMessagesResponse> result =
          co_await mailbox_.ExpungeMessages(request);
      if (!result.ok()) {
        // The mailbox is closed either way; the messages stay marked for next time.
        BackendError(cmd, "ExpungeMessages", result.status());
        co_return;
      }
    }
  }
  Tagged(cmd, "OK", "", cmd.name + " completed");
}

}  // namespace mail::imap_access
