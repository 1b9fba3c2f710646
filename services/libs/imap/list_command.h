// The arguments of LIST (RFC 3501 §6.3.8) with LIST-EXTENDED (RFC 5258): selection
// options, one or several patterns, return options, LIST-STATUS (RFC 5819) and the
// SPECIAL-USE options (RFC 6154); and the STATUS data items shared by STATUS and
// RETURN (STATUS (...)). Values; pure; names stay as the client sent them (the session
// decodes modified UTF-7).
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_LIST_COMMAND_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_LIST_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/libs/imap/parser.h"

namespace mail::imap {

struct ListCommand {
  // True when any RFC 5258 syntax was used (options or a pattern list): the reply may
  // then carry extended data items such as CHILDINFO.
  bool extended = false;
  // Selection options (RFC 5258 §3.1, RFC 6154 §5.1).
  bool select_subscribed = false;
  bool select_remote = false;
  bool select_recursive = false;  // RECURSIVEMATCH
  bool select_special_use = false;
  // Return options (RFC 5258 §3.2, RFC 6154, RFC 5819). A selection option implies
  // the return option of the same name (SUBSCRIBED, SPECIAL-USE).
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  bool return_status = false;
  std::vector<std::string> status_items;  // upper case, validated
  std::string reference;
  std::vector<std::string> patterns;  // at least one
};

// Parses the arguments of LIST. INVALID_ARGUMENT with a text for "BAD": unknown
// options, RECURSIVEMATCH without another selection option (RFC 5258 §3.1), an empty
// pattern list, malformed RETURN. `imap4rev2` applies RFC 9051's STATUS items.
absl::StatusOr<ListCommand> ParseListCommand(const std::vector<Arg>& args, bool imap4rev2);

// The STATUS data items of a parenthesised list (RFC 3501 §6.3.10, STATUS=SIZE
// RFC 8438, DELETED RFC 9051), upper-cased, in the client's order. IMAP4rev2 has no
// RECENT. INVALID_ARGUMENT for an empty list or an unknown item.
absl::StatusOr<std::vector<std::string>> ParseStatusItems(const Arg& list, bool imap4rev2);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_LIST_COMMAND_H_
