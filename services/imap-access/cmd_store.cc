// STORE and UID STORE (RFC 3501 §6.4.6, §6.4.8): change flags and keywords with FLAGS,
// +FLAGS, -FLAGS and their .SILENT forms. mailbox-store applies the change and bumps
// the modseq; the new flags come back as untagged FETCH (with UID for UID STORE).
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {
namespace {

// A flag a client may store: a system flag or a keyword atom.
bool ValidFlag(const imap::Arg& a) {
  if (!a.IsAtom() || a.value.empty()) return false;
  if (a.value[0] != '\\') return imap::IsAtom(a.value);
  for (const char* f : {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"}) {
    if (absl::EqualsIgnoreCase(a.value, f)) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<void> Session::CmdStore(const imap::Command& cmd) {
  if (cmd.args.size() < 3 || !cmd.args[1].IsAtom()) {
    Tagged(cmd, "BAD", "", "Usage: STORE sequence-set [+|-]FLAGS[.SILENT] (flags)");
    co_return;
  }
  std::string item = absl::AsciiStrToUpper(cmd.args[1].value);
  const bool silent = absl::EndsWith(item, ".SILENT");
  if (silent) item.resize(item.size() - 7);
  v1::FlagOperation op = item == "FLAGS"    ? v1::FLAG_OPERATION_REPLACE
                         : item == "+FLAGS" ? v1::FLAG_OPERATION_ADD
                         : item == "-FLAGS" ? v1::FLAG_OPERATION_REMOVE
                                            : v1::FLAG_OPERATION_UNSPECIFIED;
  if (op == v1::FLAG_OPERATION_UNSPECIFIED) {
    Tagged(cmd, "BAD", "", "STORE item must be FLAGS, +FLAGS or -FLAGS (optionally .SILENT)");
    co_return;
  }
  // The flags: one parenthesised list, or (RFC 3501 store-att-flags) atoms in a row.
  std::vector<imap::Arg> flags;
  if (cmd.args.size() == 3 && cmd.args[2].IsList()) {
    flags = cmd.args[2].list;
  } else {
    flags.assign(cmd.args.begin() + 2, cmd.args.end());
  }
  v1::StoreFlagsRequest request;
  for (const imap::Arg& f : flags) {
    if (!ValidFlag(f)) {
      Tagged(cmd, "BAD", "", "Invalid flag in STORE");
      co_return;
    }
    request.add_flags(f.value);
  }
  std::vector<uint32_t> indexes;
  if (!ResolveSet(cmd, cmd.args[0], &indexes)) co_return;
  SelectedMailbox& box = *selected_;
  if (box.read_only) {
    Tagged(cmd, "NO", "READ-ONLY", "Mailbox is read-only (EXAMINE)");
    co_return;
  }
  if (!indexes.empty()) {
    request.set_account(account_);
    request.set_mailbox(box.name);
    request.set_operation(op);
    for (uint32_t i : indexes) request.add_uids(box.messages[i].uid());
    absl::StatusOr<v1::StoreFlagsResponse> stored = co_await mailbox_.StoreFlags(request);
    if (!stored.ok()) {
      MailboxError(cmd, "StoreFlags", stored.status());
      co_return;
    }
    std::map<uint32_t, const v1::MessageInfo*> by_uid;
    for (const auto& m : stored->messages()) by_uid[m.uid()] = &m;
    bool gone = false;
    for (uint32_t i : indexes) {
      SnapshotMessage& message = box.messages.Mutable()[i];
      auto it = by_uid.find(message.uid());
      if (it == by_uid.end()) {
        gone = true;  // expunged by another session; EXPUNGE comes later (§7.4.1)
        continue;
      }
      message.SetFlags(it->second->flags());
      if (silent) continue;
      std::string line = absl::StrCat(i + 1, " FETCH (");
      if (cmd.uid) absl::StrAppend(&line, "UID ", message.uid(), " ");
      absl::StrAppend(&line, "FLAGS ", FormatFlags(message, RecentHere(*selected_, message.uid())),
                      ")");
      Send(imap::Untagged(line));
    }
    if (gone) {
      Tagged(cmd, "NO", "EXPUNGEISSUED", "Some messages were expunged by another session");
      co_return;
    }
  }
  Tagged(cmd, "OK", "", cmd.uid ? "UID STORE completed" : "STORE completed");
}

}  // namespace mail::imap_access
