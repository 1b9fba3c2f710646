// SELECT and EXAMINE (RFC 3501 §6.3.1-2): open a mailbox read-write or read-only and
// tell the client its size, UIDVALIDITY and UIDNEXT.
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdSelect(const imap::Command& cmd) {
  if (cmd.args.size() != 1 || !cmd.args[0].IsAstring()) {
    Tagged(cmd, "BAD", "", absl::StrCat("Usage: ", cmd.name, " mailbox"));
    co_return;
  }
  const bool read_only = cmd.name == "EXAMINE";
  // RFC 3501 §6.3.1: a SELECT, even a failing one, first closes the current mailbox
  // (without the expunge CLOSE does).
  selected_.reset();
  state_ = kAuthenticated;
  // TODO(issue 5): modified UTF-7 names for rev1 clients.
  std::string name = imap::CanonicalMailboxName(cmd.args[0].value);
  v1::ListMessagesRequest request;
  request.set_account(account_);
  request.set_mailbox(name);
  absl::StatusOr<v1::ListMessagesResponse> list = co_await mailbox_.ListMessages(request);
  if (!list.ok()) {
    if (list.status().code() == absl::StatusCode::kNotFound) {
      Tagged(cmd, "NO", "NONEXISTENT", "Mailbox does not exist");
    } else {
      BackendError(cmd, "ListMessages", list.status());
    }
    co_return;
  }
  SelectedMailbox box;
  box.name = name;
  box.read_only = read_only;
  box.uidvalidity = list->uidvalidity();
  box.uidnext = list->uidnext();
  box.messages.assign(list->messages().begin(), list->messages().end());
  uint32_t recent = 0, first_unseen = 0;
  for (uint32_t i = 0; i < box.count(); ++i) {
    if (HasFlag(box.messages[i], "\\Recent")) ++recent;
    if (first_unseen == 0 && !HasFlag(box.messages[i], "\\Seen")) first_unseen = i + 1;
  }
  Send(imap::Untagged("FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"));
  // Empty until STORE exists (issue 5): a client must not believe flag changes stick.
  Send(imap::UntaggedStatus("OK", "PERMANENTFLAGS ()", "No permanent flags permitted"));
  Send(imap::Untagged(absl::StrCat(box.count(), " EXISTS")));
  Send(imap::Untagged(absl::StrCat(recent, " RECENT")));
  if (first_unseen != 0) {
    Send(imap::UntaggedStatus("OK", absl::StrCat("UNSEEN ", first_unseen),
                              absl::StrCat("Message ", first_unseen, " is first unseen")));
  }
  Send(imap::UntaggedStatus("OK", absl::StrCat("UIDVALIDITY ", box.uidvalidity), "UIDs valid"));
  Send(imap::UntaggedStatus("OK", absl::StrCat("UIDNEXT ", box.uidnext), "Predicted next UID"));
  selected_ = std::move(box);
  state_ = kSelected;
  Tagged(cmd, "OK", read_only ? "READ-ONLY" : "READ-WRITE", absl::StrCat(cmd.name, " completed"));
}

}  // namespace mail::imap_access
