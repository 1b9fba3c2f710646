// COPY, MOVE and their UID forms (RFC 3501 §6.4.7, RFC 6851, COPYUID of RFC 4315 §3):
// one mailbox-store transaction copies (or moves) the messages, bodies shared.
// A destination that does not exist gets NO [TRYCREATE]. MOVE announces the COPYUID
// in an untagged OK, then the EXPUNGEs, then the tagged OK (RFC 6851 §4.3).
#include <set>

#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/sequence_set.h"

namespace mail::imap_access {
asio::awaitable<void> Session::CmdCopy(const imap::Command& cmd) {
  const bool move = cmd.name == "MOVE";
  if (cmd.args.size() != 2) {
    Tagged(cmd, "BAD", "", absl::StrCat("Usage: ", cmd.name, " sequence-set mailbox"));
    co_return;
  }
  std::vector<uint32_t> indexes;
  if (!ResolveSet(cmd, cmd.args[0], &indexes)) co_return;
  std::optional<std::string> destination = MailboxArg(cmd, cmd.args[1]);
  if (!destination) co_return;
  SelectedMailbox& box = *selected_;
  if (move && box.read_only) {
    Tagged(cmd, "NO", "READ-ONLY", "Mailbox is read-only (EXAMINE)");
    co_return;
  }
  const char* done = cmd.uid ? (move ? "UID MOVE completed" : "UID COPY completed")
                             : (move ? "MOVE completed" : "COPY completed");
  if (indexes.empty()) {
    Tagged(cmd, "OK", "", done);
    co_return;
  }
  v1::CopyMessagesRequest request;
  request.set_account(account_);
  request.set_mailbox(box.name);
  request.set_destination(*destination);
  request.set_move(move);
  for (uint32_t i : indexes) request.add_uids(box.messages[i].uid());
  absl::StatusOr<v1::CopyMessagesResponse> copied = co_await mailbox_.CopyMessages(request);
  if (!copied.ok()) {
    if (copied.status().code() == absl::StatusCode::kNotFound) {
      // RFC 3501 §6.4.7: the client may CREATE the mailbox and try again.
      Tagged(cmd, "NO", "TRYCREATE", "Destination mailbox does not exist");
    } else {
      MailboxError(cmd, cmd.name, copied.status());
    }
    co_return;
  }
  std::string code;
  if (copied->source_uids_size() > 0) {
    code = absl::StrCat(
        "COPYUID ", copied->uidvalidity(), " ",
        imap::FormatSequenceSet({copied->source_uids().begin(), copied->source_uids().end()}), " ",
        imap::FormatSequenceSet(
            {copied->destination_uids().begin(), copied->destination_uids().end()}));
  }
  if (!move) {
    Tagged(cmd, "OK", code, done);
    co_return;
  }
  if (!code.empty()) Send(imap::UntaggedStatus("OK", code, "Moved"));
  // The moved messages are gone from this mailbox: EXPUNGE them, highest first.
  std::set<uint32_t> moved(copied->source_uids().begin(), copied->source_uids().end());
  for (size_t i = box.messages.size(); i-- > 0;) {
    if (moved.count(box.messages[i].uid()) == 0) continue;
    Send(imap::Untagged(absl::StrCat(i + 1, " EXPUNGE")));
    std::vector<SnapshotMessage>& list = box.messages.Mutable();
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
  }
  Tagged(cmd, "OK", "", done);
}

}  // namespace mail::imap_access
