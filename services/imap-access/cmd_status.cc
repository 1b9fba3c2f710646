// STATUS (RFC 3501 §6.3.10, STATUS=SIZE RFC 8438): counters of a mailbox without
// selecting it.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdStatus(const imap::Command& cmd) {
  if (cmd.args.size() != 2 || !cmd.args[1].IsList() || cmd.args[1].list.empty()) {
    Tagged(cmd, "BAD", "", "Usage: STATUS mailbox (items)");
    co_return;
  }
  std::optional<std::string> name = MailboxArg(cmd, cmd.args[0]);
  if (!name) co_return;
  std::vector<std::string> items;
  for (const imap::Arg& a : cmd.args[1].list) {
    std::string item = absl::AsciiStrToUpper(a.value);
    if (!a.IsAtom() ||
        (item != "MESSAGES" && item != "RECENT" && item != "UIDNEXT" && item != "UIDVALIDITY" &&
         item != "UNSEEN" && item != "SIZE" && item != "DELETED" && item != "HIGHESTMODSEQ")) {
      Tagged(cmd, "BAD", "", "Unknown STATUS item");
      co_return;
    }
    items.push_back(item);
  }
  v1::ListMailboxesRequest request;
  request.set_account(account_);
  request.set_with_status(true);
  absl::StatusOr<v1::ListMailboxesResponse> boxes = co_await mailbox_.ListMailboxes(request);
  if (!boxes.ok()) {
    BackendError(cmd, "ListMailboxes", boxes.status());
    co_return;
  }
  const v1::Mailbox* box = nullptr;
  for (const auto& b : boxes->mailboxes()) {
    if (b.name() == *name) box = &b;
  }
  if (box == nullptr) {
    Tagged(cmd, "NO", "NONEXISTENT", "Mailbox does not exist");
    co_return;
  }
  std::vector<std::string> parts;
  for (const std::string& item : items) {
    uint64_t value = 0;
    if (item == "MESSAGES") value = box->messages();
    if (item == "UIDNEXT") value = box->uidnext();
    if (item == "UIDVALIDITY") value = box->uidvalidity();
    if (item == "UNSEEN") value = box->unseen();
    if (item == "SIZE") value = box->size();
    if (item == "HIGHESTMODSEQ") value = box->highest_modseq();
    // RECENT: this server keeps no \Recent state (see README); DELETED is not counted.
    if (item == "DELETED") continue;
    parts.push_back(absl::StrCat(item, " ", value));
  }
  std::string line = "STATUS ";
  imap::AppendAstring(&line, WireName(box->name()));
  absl::StrAppend(&line, " (", absl::StrJoin(parts, " "), ")");
  Send(imap::Untagged(line));
  Tagged(cmd, "OK", "", "STATUS completed");
}

}  // namespace mail::imap_access
