// EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): remove the messages marked
// \Deleted (for UID EXPUNGE: only those in the UID set) and announce each with
// "* n EXPUNGE", highest number first so every number is right when read.
#include <set>

#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdExpunge(const imap::Command& cmd) {
  if (cmd.args.size() != (cmd.uid ? 1u : 0u)) {
    Tagged(cmd, "BAD", "", cmd.uid ? "Usage: UID EXPUNGE uid-set" : "EXPUNGE takes no arguments");
    co_return;
  }
  std::vector<uint32_t> indexes;
  if (cmd.uid) {
    if (!ResolveSet(cmd, cmd.args[0], &indexes)) co_return;
  }
  if (selected_->read_only) {
    Tagged(cmd, "NO", "READ-ONLY", "Mailbox is read-only (EXAMINE)");
    co_return;
  }
  // Other sessions' changes first (EXPUNGE may report them), so the \Deleted flags
  // below are current.
  co_await SyncSelected();
  if (!selected_) co_return;
  SelectedMailbox& box = *selected_;
  std::set<uint32_t> allowed;
  if (cmd.uid) {
    // Resolve again: the sync may have renumbered; the set names UIDs anyway.
    indexes.clear();
    if (!ResolveSet(cmd, cmd.args[0], &indexes)) co_return;
    for (uint32_t i : indexes) allowed.insert(box.messages[i].uid());
  }
  v1::ExpungeMessagesRequest request;
  request.set_account(account_);
  request.set_mailbox(box.name);
  for (const auto& m : box.messages) {
    if (HasFlag(m, "\\Deleted") && (!cmd.uid || allowed.count(m.uid()) > 0)) {
      request.add_uids(m.uid());
    }
  }
  if (request.uids_size() > 0) {
    absl::StatusOr<v1::ExpungeMessagesResponse> result = co_await mailbox_.ExpungeMessages(request);
    if (!result.ok()) {
      BackendError(cmd, "ExpungeMessages", result.status());
      co_return;
    }
  }
  // Whatever is gone now (ours, from the store's tombstones, and anyone else's) is
  // announced by the re-read.
  co_await SyncSelected();
  Tagged(cmd, "OK", "", cmd.uid ? "UID EXPUNGE completed" : "EXPUNGE completed");
}

}  // namespace mail::imap_access
