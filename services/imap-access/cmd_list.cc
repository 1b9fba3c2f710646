// LIST and LSUB (RFC 3501 §6.3.8-9): the account's mailboxes matching a pattern, with
// CHILDREN (RFC 3348) and SPECIAL-USE (RFC 6154) attributes. LIST takes the
// LIST-EXTENDED forms (RFC 5258): selection options SUBSCRIBED, REMOTE (no remote
// mailboxes here: a no-op), RECURSIVEMATCH and SPECIAL-USE, several patterns, return
// options SUBSCRIBED, CHILDREN, SPECIAL-USE and STATUS (LIST-STATUS, RFC 5819).
// \HasChildren / \HasNoChildren and special-use attributes are always sent, as the
// RFCs allow and Dovecot does; CHILDREN and SPECIAL-USE return options change nothing.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/list_command.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {
namespace {

// Mailbox-store keeps "\Sent"; accept "Sent" too.
std::string SpecialUseAttribute(const std::string& special_use) {
  if (special_use.empty() || special_use[0] == '\\') return special_use;
  return "\\" + special_use;
}

// \HasChildren or \HasNoChildren (RFC 3348) and the special use (RFC 6154) of `box`,
// given every name of the account in `names`.
std::vector<std::string> MailboxAttributes(const v1::Mailbox& box,
                                           const std::set<std::string>& names) {
  std::vector<std::string> attrs;
  // A child is any name below this one: the first name from `prefix` on tells.
  std::string prefix = box.name() + imap::kHierarchyDelimiter;
  auto next = names.lower_bound(prefix);
  bool children = next != names.end() && absl::StartsWith(*next, prefix);
  attrs.push_back(children ? "\\HasChildren" : "\\HasNoChildren");
  if (!box.special_use().empty()) attrs.push_back(SpecialUseAttribute(box.special_use()));
  return attrs;
}

// The mailbox meets the LIST selection options (RFC 5258 §3.1: all of them).
bool Selected(const imap::ListCommand& list, const v1::Mailbox& box) {
  if (list.select_subscribed && !box.subscribed()) return false;
  if (list.select_special_use && box.special_use().empty()) return false;
  return true;
}

}  // namespace

asio::awaitable<std::string> Session::SelectedListLine(const std::string& name) {
  v1::ListMailboxesRequest request;
  request.set_account(account_);
  absl::StatusOr<v1::ListMailboxesResponse> boxes = co_await mailbox_.ListMailboxes(request);
  std::vector<std::string> attrs;
  if (boxes.ok()) {
    std::set<std::string> names;
    for (const auto& b : boxes->mailboxes()) names.insert(b.name());
    for (const auto& b : boxes->mailboxes()) {
      if (b.name() == name) attrs = MailboxAttributes(b, names);
    }
  }
  std::string line = absl::StrCat("LIST (", absl::StrJoin(attrs, " "), ") \"",
                                  std::string(1, imap::kHierarchyDelimiter), "\" ");
  imap::AppendMailboxName(&line, WireName(name), utf8_);
  co_return line;
}

asio::awaitable<void> Session::CmdList(const imap::Command& cmd) {
  const bool lsub = cmd.name == "LSUB";
  imap::ListCommand list;
  if (lsub) {
    if (cmd.args.size() != 2 || !cmd.args[0].IsAstring() || !cmd.args[1].IsAstring()) {
      Tagged(cmd, "BAD", "", "Usage: LSUB reference mailbox");
      co_return;
    }
    list.reference = cmd.args[0].value;
    list.patterns = {cmd.args[1].value};
    list.select_subscribed = true;
  } else {
    absl::StatusOr<imap::ListCommand> parsed = imap::ParseListCommand(cmd.args, rev2_);
    if (!parsed.ok()) {
      Tagged(cmd, "BAD", "", std::string(parsed.status().message()));
      co_return;
    }
    list = *std::move(parsed);
  }
  // Patterns are names too: modified UTF-7 for IMAP4rev1 clients.
  imap::Arg name_arg;
  name_arg.type = imap::Arg::Type::kQuoted;
  std::string reference;
  if (!list.reference.empty()) {
    name_arg.value = list.reference;
    std::optional<std::string> decoded = MailboxArg(cmd, name_arg);
    if (!decoded) co_return;
    reference = *decoded;
  }
  std::vector<std::string> patterns;
  for (const std::string& p : list.patterns) {
    if (p.empty()) continue;
    name_arg.value = p;
    std::optional<std::string> decoded = MailboxArg(cmd, name_arg);
    if (!decoded) co_return;
    patterns.push_back(imap::CombineListPattern(reference, *decoded));
  }
  if (patterns.empty()) {
    // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root.
    if (!lsub) Send(imap::Untagged("LIST (\\Noselect) \"/\" \"\""));
    Tagged(cmd, "OK", "", absl::StrCat(cmd.name, " completed"));
    co_return;
  }
  v1::ListMailboxesRequest request;
  request.set_account(account_);
  request.set_with_status(list.return_status);
  absl::StatusOr<v1::ListMailboxesResponse> boxes = co_await mailbox_.ListMailboxes(request);
  if (!boxes.ok()) {
    BackendError(cmd, "ListMailboxes", boxes.status());
    co_return;
  }
  std::set<std::string> names;
  for (const auto& b : boxes->mailboxes()) names.insert(b.name());
  auto pattern_matches = [&](const std::string& name) {
    for (const std::string& p : patterns) {
      if (imap::ListPatternMatches(p, name)) return true;
    }
    return false;
  };
  // A descendant of `parent` meets the selection options (`selected`) or, with
  // `unmatched`, also matches no pattern (so only its parent can show it, as "%" does).
  auto has_descendant = [&](const std::string& parent, bool selected, bool unmatched) {
    const std::string prefix = parent + imap::kHierarchyDelimiter;
    for (const auto& d : boxes->mailboxes()) {
      if (!absl::StartsWith(d.name(), prefix)) continue;
      if (selected && !Selected(list, d)) continue;
      if (unmatched && pattern_matches(d.name())) continue;
      return true;
    }
    return false;
  };
  auto childinfo = [&]() {
    std::vector<std::string> info;
    if (list.select_subscribed) info.push_back("\"SUBSCRIBED\"");
    if (list.select_special_use) info.push_back("\"SPECIAL-USE\"");
    return absl::StrCat(" (\"CHILDINFO\" (", absl::StrJoin(info, " "), "))");
  };
  auto list_line = [&](const std::vector<std::string>& attrs, const std::string& name) {
    std::string line = absl::StrCat(cmd.name, " (", absl::StrJoin(attrs, " "), ") \"",
                                    std::string(1, imap::kHierarchyDelimiter), "\" ");
    imap::AppendMailboxName(&line, WireName(name), utf8_);
    return line;
  };
  // Hierarchy levels without a mailbox of their own (DELETE leaves the children, RENAME
  // may leave a parent behind): listed, before their first child, only where the RFCs
  // say so. LIST "" % shows "a" for an existing "a/b" (RFC 3501 §6.3.8: \Noselect;
  // RFC 5258 §3 / RFC 9051 §7.3.1: \NonExistent, which implies \Noselect, for
  // LIST-EXTENDED and IMAP4rev2 clients); with RECURSIVEMATCH when a descendant meets
  // the selection options (with CHILDINFO); LSUB "" % shows "a" as \Noselect when only
  // "a/b" is subscribed (RFC 3501 §6.3.9). No selection option other than
  // RECURSIVEMATCH can select a mailbox that does not exist, except SUBSCRIBED for a
  // name still subscribed after its mailbox was deleted (below).
  const bool nonexistent_attr = list.extended || rev2_;
  std::set<std::string> missing_seen;
  auto list_missing_parents = [&](const std::string& name) {
    for (size_t slash = name.find(imap::kHierarchyDelimiter); slash != std::string::npos;
         slash = name.find(imap::kHierarchyDelimiter, slash + 1)) {
      const std::string parent = name.substr(0, slash);
      if (parent.empty() || names.count(parent) > 0 || !missing_seen.insert(parent).second) {
        continue;
      }
      if (!pattern_matches(parent)) continue;
      if (lsub) {
        if (has_descendant(parent, true, true)) {
          Send(imap::Untagged(list_line({"\\HasChildren", "\\Noselect"}, parent)));
        }
      } else if (list.select_recursive) {
        if (has_descendant(parent, true, false)) {
          Send(imap::Untagged(list_line({"\\HasChildren", "\\NonExistent"}, parent) + childinfo()));
        }
      } else if (!list.select_subscribed && !list.select_special_use) {
        if (has_descendant(parent, false, true)) {
          Send(imap::Untagged(list_line(
              {"\\HasChildren", nonexistent_attr ? "\\NonExistent" : "\\Noselect"}, parent)));
        }
      }
    }
  };
  // Subscribed names without a mailbox (a subscribed mailbox was deleted; RFC 3501
  // §6.3.6 keeps the subscription): LSUB shows them as \Noselect, LIST (SUBSCRIBED) as
  // \NonExistent (RFC 5258 §3.1 example); a LIST without that selection does not.
  if (lsub || list.select_subscribed) {
    for (const std::string& name : boxes->subscribed_without_mailbox()) {
      if (names.count(name) > 0 || !pattern_matches(name)) continue;
      missing_seen.insert(name);  // not again as a missing parent
      const std::string prefix = name + imap::kHierarchyDelimiter;
      auto below = names.lower_bound(prefix);
      std::vector<std::string> attrs{below != names.end() && absl::StartsWith(*below, prefix)
                                         ? "\\HasChildren"
                                         : "\\HasNoChildren"};
      if (lsub) {
        attrs.push_back("\\Noselect");
        Send(imap::Untagged(list_line(attrs, name)));
      } else if (!list.select_special_use) {
        attrs.push_back("\\NonExistent");
        attrs.push_back("\\Subscribed");
        std::string line = list_line(attrs, name);
        if (list.select_recursive && has_descendant(name, true, false)) line += childinfo();
        Send(imap::Untagged(line));
      }
    }
  }
  for (const auto& b : boxes->mailboxes()) {
    list_missing_parents(b.name());
    if (!pattern_matches(b.name())) continue;
    // RECURSIVEMATCH (RFC 5258 §3.1): a matching parent is listed, with CHILDINFO, when
    // a descendant meets the selection options, whether or not the descendant matches.
    const bool child_selected = list.select_recursive && has_descendant(b.name(), true, false);
    if (!Selected(list, b) && !child_selected) {
      // RFC 3501 §6.3.9: LSUB "" % with "a/b" subscribed and "a" not lists "a" as
      // \Noselect.
      if (lsub && has_descendant(b.name(), true, true)) {
        std::vector<std::string> attrs = MailboxAttributes(b, names);
        attrs.push_back("\\Noselect");
        Send(imap::Untagged(list_line(attrs, b.name())));
      }
      continue;
    }
    std::vector<std::string> attrs = MailboxAttributes(b, names);
    // LSUB has no \Subscribed: everything it lists is (RFC 5258 §3.2 is LIST only).
    if (!lsub && list.return_subscribed && b.subscribed()) attrs.push_back("\\Subscribed");
    std::string line = list_line(attrs, b.name());
    if (child_selected) line += childinfo();
    Send(imap::Untagged(line));
    // LIST-STATUS (RFC 5819 §2): STATUS right after the mailbox's LIST response.
    if (list.return_status) Send(imap::Untagged(StatusLine(b, list.status_items)));
  }
  Tagged(cmd, "OK", "", absl::StrCat(cmd.name, " completed"));
}

}  // namespace mail::imap_access
