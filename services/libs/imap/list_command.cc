// LIST-EXTENDED arguments; see list_command.h.
#include "services/libs/imap/list_command.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace mail::imap {
namespace {

absl::Status Bad(const std::string& why) { return absl::InvalidArgumentError(why); }

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseStatusItems(const Arg& list, bool imap4rev2) {
  if (!list.IsList() || list.list.empty()) return Bad("STATUS needs a list of items");
  std::vector<std::string> items;
  for (const Arg& a : list.list) {
    std::string item = absl::AsciiStrToUpper(a.value);
    const bool known = item == "MESSAGES" || item == "UIDNEXT" || item == "UIDVALIDITY" ||
                       item == "UNSEEN" || item == "SIZE" || item == "DELETED" ||
                       item == "HIGHESTMODSEQ" || (item == "RECENT" && !imap4rev2);
    // RFC 9051 Appendix E: STATUS RECENT is gone from IMAP4rev2.
    if (!a.IsAtom() || !known) return Bad("Unknown STATUS item");
    items.push_back(std::move(item));
  }
  return items;
}

absl::StatusOr<ListCommand> ParseListCommand(const std::vector<Arg>& args, bool imap4rev2) {
  ListCommand cmd;
  size_t pos = 0;
  if (pos < args.size() && args[pos].IsList()) {
    // RFC 5258 §3.1: "(" [option *(SP option)] ")" before the reference.
    cmd.extended = true;
    for (const Arg& a : args[pos].list) {
      const std::string o = absl::AsciiStrToUpper(a.value);
      if (!a.IsAtom()) return Bad("LIST selection options are atoms");
      if (o == "SUBSCRIBED") {
        cmd.select_subscribed = true;
      } else if (o == "REMOTE") {
        cmd.select_remote = true;
      } else if (o == "RECURSIVEMATCH") {
        cmd.select_recursive = true;
      } else if (o == "SPECIAL-USE") {
        cmd.select_special_use = true;
      } else {
        // §3.1: an unrecognised selection option is a BAD (its meaning is unknown).
        return Bad("Unknown LIST selection option " + o.substr(0, 40));
      }
    }
    if (cmd.select_recursive && !cmd.select_subscribed && !cmd.select_special_use) {
      return Bad("RECURSIVEMATCH needs another selection option");
    }
    ++pos;
  }
  if (pos + 2 > args.size()) return Bad("Usage: LIST [(options)] reference mailbox [RETURN (...)]");
  if (!args[pos].IsAstring()) return Bad("Invalid LIST reference");
  cmd.reference = args[pos++].value;
  const Arg& pattern = args[pos++];
  if (pattern.IsList()) {
    // RFC 5258 §3: several patterns in parentheses.
    cmd.extended = true;
    if (pattern.list.empty()) return Bad("Empty LIST pattern list");
    for (const Arg& p : pattern.list) {
      if (!p.IsAstring()) return Bad("Invalid LIST pattern");
      cmd.patterns.push_back(p.value);
    }
  } else if (pattern.IsAstring()) {
    cmd.patterns.push_back(pattern.value);
  } else {
    return Bad("Invalid LIST pattern");
  }
  if (pos < args.size()) {
    if (!args[pos].IsAtom() || !absl::EqualsIgnoreCase(args[pos].value, "RETURN") ||
        pos + 1 >= args.size() || !args[pos + 1].IsList()) {
      return Bad("Expected RETURN (options) after the LIST pattern");
    }
    cmd.extended = true;
    const std::vector<Arg>& opts = args[pos + 1].list;
    for (size_t i = 0; i < opts.size(); ++i) {
      const std::string o = absl::AsciiStrToUpper(opts[i].value);
      if (!opts[i].IsAtom()) return Bad("LIST return options are atoms");
      if (o == "SUBSCRIBED") {
        cmd.return_subscribed = true;
      } else if (o == "CHILDREN") {
        cmd.return_children = true;
      } else if (o == "SPECIAL-USE") {
        cmd.return_special_use = true;
      } else if (o == "STATUS") {
        // RFC 5819 §2: STATUS (items), once.
        if (cmd.return_status || i + 1 >= opts.size()) return Bad("STATUS needs a list of items");
        absl::StatusOr<std::vector<std::string>> items = ParseStatusItems(opts[++i], imap4rev2);
        if (!items.ok()) return items.status();
        cmd.return_status = true;
        cmd.status_items = *std::move(items);
      } else {
        return Bad("Unknown LIST return option " + o.substr(0, 40));
      }
    }
    pos += 2;
  }
  if (pos != args.size()) return Bad("Unexpected arguments after LIST");
  // §3.1: a selection option implies the return option of the same name.
  if (cmd.select_subscribed) cmd.return_subscribed = true;
  if (cmd.select_special_use) cmd.return_special_use = true;
  return cmd;
}

}  // namespace mail::imap
