// SELECT and EXAMINE (RFC 3501 §6.3.1-2): open a mailbox read-write or read-only and
// tell the client its size, UIDVALIDITY and UIDNEXT.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/imap-access/session.h"
#include "services/imap-access/snapshot_cache.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<std::optional<SelectedMailbox>> Session::LoadMailbox(const imap::Command& cmd,
                                                                     const std::string& name,
                                                                     bool read_only) {
  SelectedMailbox box;
  std::shared_ptr<const SnapshotCache::Entry> cached;
  if (config_.snapshots != nullptr) cached = config_.snapshots->Get(account_, name);
  v1::ListMessagesRequest request;
  request.set_account(account_);
  request.set_mailbox(name);
  RequestRecent(read_only, &request);
  if (cached) {
    // Start from the cached state and ask only for what changed since.
    box.uidvalidity = cached->uidvalidity;
    box.highest_modseq = cached->highest_modseq;
    box.messages = cached->messages;
    DeltaRequest(box, &request);
  }
  absl::StatusOr<v1::ListMessagesResponse> list = co_await ListMessages(request);
  if (list.ok() && list->delta() &&
      (list->uidvalidity() != box.uidvalidity || !DeltaAccountsForExpunges(box, *list))) {
    // Another mailbox of that name now (deleted and created again), or tombstones
    // dropped: list it whole.
    box.messages.Clear();
    box.highest_modseq = 0;
    request.clear_changed_since();
    request.clear_known_max_uid();
    list = co_await ListMessages(request);
  }
  if (!list.ok()) {
    if (list.status().code() == absl::StatusCode::kNotFound) {
      Tagged(cmd, "NO", "NONEXISTENT", "Mailbox does not exist");
    } else {
      BackendError(cmd, "ListMessages", list.status());
    }
    co_return std::nullopt;
  }
  box.name = name;
  box.read_only = read_only;
  if (list->delta()) {
    ApplySnapshot(&box, *list);  // what it would say is not for this session to hear
  } else {
    box.uidvalidity = list->uidvalidity();
    box.uidnext = list->uidnext();
    box.highest_modseq = list->highest_modseq();
    std::vector<SnapshotMessage> messages;
    messages.reserve(static_cast<size_t>(list->messages_size()));
    for (const v1::MessageInfo& m : list->messages()) messages.emplace_back(m);
    box.messages = MessageList(std::move(messages));
  }
  if (config_.snapshots != nullptr) config_.snapshots->Put(account_, name, box);
  // RFC 3501 §2.3.2: what arrived since the last SELECT is \Recent for this session
  // (mailbox-store moved the mark past it, so no other session gets it).
  if (!rev2_ && list->first_recent_uid() != 0) {
    box.AddRecent(list->first_recent_uid(), box.max_uid());
  }
  co_return box;
}

asio::awaitable<void> Session::CmdSelect(const imap::Command& cmd) {
  if (cmd.args.size() != 1 || !cmd.args[0].IsAstring()) {
    Tagged(cmd, "BAD", "", absl::StrCat("Usage: ", cmd.name, " mailbox"));
    co_return;
  }
  const bool read_only = cmd.name == "EXAMINE";
  // RFC 3501 §6.3.1: a SELECT, even a failing one, first closes the current mailbox
  // (without the expunge CLOSE does). IMAP4rev2 says so (RFC 9051 §6.3.2: [CLOSED]).
  if (selected_ && rev2_) Send(imap::UntaggedStatus("OK", "CLOSED", "Previous mailbox closed"));
  selected_.reset();
  state_ = kAuthenticated;
  std::optional<std::string> decoded = MailboxArg(cmd, cmd.args[0]);
  if (!decoded) co_return;
  std::string name = *decoded;
  std::optional<SelectedMailbox> loaded = co_await LoadMailbox(cmd, name, read_only);
  if (!loaded) co_return;
  SelectedMailbox box = *std::move(loaded);
  uint32_t first_unseen = 0;
  for (uint32_t i = 0; i < box.count() && first_unseen == 0; ++i) {
    if (!HasFlag(box.messages[i], "\\Seen")) first_unseen = i + 1;
  }
  // The system flags and the keywords in use; "\\*": clients may create keywords.
  std::set<std::string> keywords;
  for (const SnapshotMessage& m : box.messages) {
    if (m.keywords().empty()) continue;
    for (absl::string_view k : absl::StrSplit(
             absl::string_view(m.keywords().data(), m.keywords().size()), ' ', absl::SkipEmpty())) {
      keywords.insert(std::string(k));
    }
  }
  std::string defined = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  for (const std::string& k : keywords) absl::StrAppend(&defined, " ", k);
  Send(imap::Untagged(absl::StrCat("FLAGS (", defined, ")")));
  if (read_only) {
    Send(imap::UntaggedStatus("OK", "PERMANENTFLAGS ()", "Read-only mailbox"));
  } else {
    Send(imap::UntaggedStatus("OK", absl::StrCat("PERMANENTFLAGS (", defined, " \\*)"),
                              "Flags permitted"));
  }
  Send(imap::Untagged(absl::StrCat(box.count(), " EXISTS")));
  if (rev2_) {
    // RFC 9051 §6.3.2: no RECENT and no UNSEEN code; a LIST response with the name.
    std::string list_line = co_await SelectedListLine(name);
    Send(imap::Untagged(list_line));
  } else {
    Send(imap::Untagged(absl::StrCat(box.RecentCount(), " RECENT")));
  }
  if (first_unseen != 0 && !rev2_) {
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
