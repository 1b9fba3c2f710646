// CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.3-6.3.7): mailbox
// management, done by mailbox-store in one transaction each. Names use "/" as the
// hierarchy delimiter; a trailing "/" on CREATE only says the client means a parent.
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdMailbox(const imap::Command& cmd) {
  const bool rename = cmd.name == "RENAME";
  if (cmd.args.size() != (rename ? 2u : 1u)) {
    Tagged(cmd, "BAD", "",
           rename ? "Usage: RENAME from to" : absl::StrCat("Usage: ", cmd.name, " mailbox"));
    co_return;
  }
  std::optional<std::string> name = MailboxArg(cmd, cmd.args[0]);
  if (!name) co_return;
  absl::Status status;
  if (cmd.name == "CREATE") {
    // RFC 3501 §6.3.3: "a/" creates "a"; the delimiter only announces children.
    while (!name->empty() && name->back() == '/') name->pop_back();
    if (*name == "INBOX") {
      Tagged(cmd, "NO", "ALREADYEXISTS", "INBOX always exists");
      co_return;
    }
    v1::CreateMailboxRequest request;
    request.set_account(account_);
    request.set_name(*name);
    // The result in a named variable: GCC 12 mishandles temporaries of a co_await
    // expression used in the same full-expression.
    absl::StatusOr<v1::CreateMailboxResponse> result = co_await mailbox_.CreateMailbox(request);
    status = result.status();
  } else if (cmd.name == "DELETE") {
    if (*name == "INBOX") {
      Tagged(cmd, "NO", "CANNOT", "INBOX cannot be deleted");
      co_return;
    }
    v1::DeleteMailboxRequest request;
    request.set_account(account_);
    request.set_name(*name);
    // The result in a named variable: GCC 12 mishandles temporaries of a co_await
    // expression used in the same full-expression.
    absl::StatusOr<v1::DeleteMailboxResponse> result = co_await mailbox_.DeleteMailbox(request);
    status = result.status();
    if (status.ok() && selected_ && selected_->name == *name) {
      // Deleting the selected mailbox leaves nothing selected; the client is told why.
      selected_.reset();
      state_ = kAuthenticated;
      Send(imap::UntaggedStatus("OK", "CLOSED", "Selected mailbox was deleted"));
    }
  } else if (rename) {
    std::optional<std::string> to = MailboxArg(cmd, cmd.args[1]);
    if (!to) co_return;
    v1::RenameMailboxRequest request;
    request.set_account(account_);
    request.set_from(*name);
    request.set_to(*to);
    // The result in a named variable: GCC 12 mishandles temporaries of a co_await
    // expression used in the same full-expression.
    absl::StatusOr<v1::RenameMailboxResponse> result = co_await mailbox_.RenameMailbox(request);
    status = result.status();
    // The selected mailbox (or one above it) was renamed: follow it. Renaming INBOX
    // leaves INBOX selected; its messages leave, which the next sync reports.
    if (status.ok() && selected_ && *name != "INBOX") {
      const std::string prefix = *name + "/";
      std::string& current = selected_->name;
      if (current == *name || current.compare(0, prefix.size(), prefix) == 0) {
        current = *to + current.substr(name->size());
      }
    }
  } else {
    v1::SetSubscriptionRequest request;
    request.set_account(account_);
    request.set_name(*name);
    request.set_subscribed(cmd.name == "SUBSCRIBE");
    // The result in a named variable: GCC 12 mishandles temporaries of a co_await
    // expression used in the same full-expression.
    absl::StatusOr<v1::SetSubscriptionResponse> result = co_await mailbox_.SetSubscription(request);
    status = result.status();
  }
  if (!status.ok()) {
    MailboxError(cmd, cmd.name, status);
    co_return;
  }
  if (rev2_ && (cmd.name == "CREATE" || rename)) {
    // RFC 9051 §6.3.4, §6.3.6, §7.3.1: a name created or renamed in a form the server
    // normalises ("inbox/Sub" is "INBOX/Sub" here; a trailing delimiter is not a
    // different name) is announced with an untagged LIST carrying OLDNAME, the name as
    // the client wrote it. IMAP4rev2 names are UTF-8, so the argument is that name.
    const imap::Arg& given = cmd.args[rename ? 1 : 0];
    std::string supplied = given.value;
    while (cmd.name == "CREATE" && !supplied.empty() && supplied.back() == '/') supplied.pop_back();
    const std::string created = rename ? imap::CanonicalMailboxName(given.value) : *name;
    if (supplied != created) {
      std::string line = co_await SelectedListLine(created);
      line += " (\"OLDNAME\" (";
      imap::AppendMailboxName(&line, supplied, true);
      line += "))";
      Send(imap::Untagged(line));
    }
  }
  Tagged(cmd, "OK", "", absl::StrCat(cmd.name, " completed"));
}

}  // namespace mail::imap_access
