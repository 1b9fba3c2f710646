// STATUS (RFC 3501 §6.3.10, STATUS=SIZE RFC 8438, DELETED RFC 9051): counters of a
// mailbox without selecting it. RECENT (IMAP4rev1 only) counts the messages no
// session has SELECTed yet (mailbox-store's \Recent mark, recent.cc there).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/list_command.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

std::string Session::StatusLine(const v1::Mailbox& box,
                                const std::vector<std::string>& items) const {
  std::vector<std::string> parts;
  for (const std::string& item : items) {
    uint64_t value = 0;
    if (item == "MESSAGES") value = box.messages();
    if (item == "RECENT") value = box.recent();
    if (item == "UIDNEXT") value = box.uidnext();
    if (item == "UIDVALIDITY") value = box.uidvalidity();
    if (item == "UNSEEN") value = box.unseen();
    if (item == "SIZE") value = box.size();
    if (item == "DELETED") value = box.deleted();
    if (item == "HIGHESTMODSEQ") value = box.highest_modseq();
    parts.push_back(absl::StrCat(item, " ", value));
  }
  std::string line = "STATUS ";
  imap::AppendMailboxName(&line, WireName(box.name()), utf8_);
  absl::StrAppend(&line, " (", absl::StrJoin(parts, " "), ")");
  return line;
}

asio::awaitable<void> Session::CmdStatus(const imap::Command& cmd) {
  if (cmd.args.size() != 2 || !cmd.args[1].IsList() || cmd.args[1].list.empty()) {
    Tagged(cmd, "BAD", "", "Usage: STATUS mailbox (items)");
    co_return;
  }
  std::optional<std::string> name = MailboxArg(cmd, cmd.args[0]);
  if (!name) co_return;
  absl::StatusOr<std::vector<std::string>> items = imap::ParseStatusItems(cmd.args[1], rev2_);
  if (!items.ok()) {
    Tagged(cmd, "BAD", "", std::string(items.status().message()));
    co_return;
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
  Send(imap::Untagged(StatusLine(*box, *items)));
  Tagged(cmd, "OK", "", "STATUS completed");
}

}  // namespace mail::imap_access
