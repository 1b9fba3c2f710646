// LIST and LSUB (RFC 3501 §6.3.8-9): the account's mailboxes matching a pattern, with
// CHILDREN (RFC 3348) and SPECIAL-USE (RFC 6154) attributes.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {
namespace {

// Mailbox-store keeps "\Sent"; accept "Sent" too.
std::string SpecialUseAttribute(const std::string& special_use) {
  if (special_use.empty() || special_use[0] == '\\') return special_use;
  return "\\" + special_use;
}

}  // namespace

asio::awaitable<void> Session::CmdList(const imap::Command& cmd) {
  const bool lsub = cmd.name == "LSUB";
  if (cmd.args.size() != 2 || !cmd.args[0].IsAstring() || !cmd.args[1].IsAstring()) {
    Tagged(cmd, "BAD", "", absl::StrCat("Usage: ", cmd.name, " reference mailbox"));
    co_return;
  }
  // Patterns are names too: modified UTF-7 for IMAP4rev1 clients.
  std::optional<std::string> reference_name = MailboxArg(cmd, cmd.args[0]);
  if (!reference_name) co_return;
  std::optional<std::string> pattern_name = MailboxArg(cmd, cmd.args[1]);
  if (!pattern_name) co_return;
  const std::string& reference = cmd.args[0].value.empty() ? cmd.args[0].value : *reference_name;
  const std::string& pattern = cmd.args[1].value.empty() ? cmd.args[1].value : *pattern_name;
  if (pattern.empty()) {
    // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root.
    if (!lsub) Send(imap::Untagged("LIST (\\Noselect) \"/\" \"\""));
    Tagged(cmd, "OK", "", absl::StrCat(cmd.name, " completed"));
    co_return;
  }
  v1::ListMailboxesRequest request;
  request.set_account(account_);
  absl::StatusOr<v1::ListMailboxesResponse> boxes = co_await mailbox_.ListMailboxes(request);
  if (!boxes.ok()) {
    BackendError(cmd, "ListMailboxes", boxes.status());
    co_return;
  }
  std::set<std::string> names;
  for (const auto& b : boxes->mailboxes()) names.insert(b.name());
  const std::string full = imap::CombineListPattern(reference, pattern);
  for (const auto& b : boxes->mailboxes()) {
    if (lsub && !b.subscribed()) continue;
    if (!imap::ListPatternMatches(full, b.name())) continue;
    std::vector<std::string> attrs;
    // A child is any name below this one: the first name from `prefix` on tells.
    std::string prefix = b.name() + imap::kHierarchyDelimiter;
    auto next = names.lower_bound(prefix);
    bool children = next != names.end() && absl::StartsWith(*next, prefix);
    attrs.push_back(children ? "\\HasChildren" : "\\HasNoChildren");
    if (!b.special_use().empty()) attrs.push_back(SpecialUseAttribute(b.special_use()));
    std::string line = absl::StrCat(cmd.name, " (", absl::StrJoin(attrs, " "), ") \"",
                                    std::string(1, imap::kHierarchyDelimiter), "\" ");
    imap::AppendAstring(&line, WireName(b.name()));
    Send(imap::Untagged(line));
  }
  Tagged(cmd, "OK", "", absl::StrCat(cmd.name, " completed"));
}

}  // namespace mail::imap_access
