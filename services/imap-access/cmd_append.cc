// APPEND (RFC 3501 §6.3.11, LITERAL+ RFC 7888, APPENDUID of UIDPLUS RFC 4315 §3,
// APPENDLIMIT RFC 7889, literal8 of BINARY RFC 3516 §4.4): store a message the client
// sends as a literal in any of its mailboxes, with flags and an internal date. The
// literal size limit is the parser's (--max_literal_size, advertised as APPENDLIMIT).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/date_time.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdAppend(const imap::Command& cmd) {
  // mailbox [flag-list] [date-time] literal, or with UTF8=ACCEPT (RFC 6855 §4)
  // ... UTF8 (literal8): unwrapped here into the plain form.
  imap::Command unwrapped;
  if (cmd.args.size() >= 3 && cmd.args.back().IsList() && cmd.args.back().list.size() == 1 &&
      cmd.args.back().list[0].IsString() && cmd.args[cmd.args.size() - 2].IsAtom() &&
      absl::EqualsIgnoreCase(cmd.args[cmd.args.size() - 2].value, "UTF8")) {
    unwrapped = cmd;
    imap::Arg literal = unwrapped.args.back().list[0];
    unwrapped.args.pop_back();
    unwrapped.args.back() = std::move(literal);
    co_await CmdAppend(unwrapped);
    co_return;
  }
  if (cmd.args.size() < 2 || cmd.args.size() > 4 || !cmd.args.back().IsString()) {
    Tagged(cmd, "BAD", "", "Usage: APPEND mailbox [(flags)] [\"date-time\"] {size}");
    co_return;
  }
  std::optional<std::string> name = MailboxArg(cmd, cmd.args[0]);
  if (!name) co_return;
  v1::AppendMetadata metadata;
  metadata.set_account(account_);
  metadata.set_mailbox(*name);
  size_t next = 1;
  if (next + 1 < cmd.args.size() && cmd.args[next].IsList()) {
    for (const imap::Arg& f : cmd.args[next].list) {
      if (!f.IsAtom() || (f.value[0] != '\\' && !imap::IsAtom(f.value))) {
        Tagged(cmd, "BAD", "", "Invalid flag in APPEND");
        co_return;
      }
      // RFC 3501 §6.3.11: \Recent cannot be set by a client.
      if (absl::EqualsIgnoreCase(f.value, "\\Recent")) continue;
      metadata.add_flags(f.value);
    }
    ++next;
  }
  if (next + 1 < cmd.args.size()) {
    if (!cmd.args[next].IsString()) {
      Tagged(cmd, "BAD", "", "APPEND date-time must be a quoted string");
      co_return;
    }
    absl::StatusOr<int64_t> when = imap::ParseDateTime(cmd.args[next].value);
    if (!when.ok()) {
      Tagged(cmd, "BAD", "", std::string(when.status().message()));
      co_return;
    }
    metadata.set_internal_date_unix(*when);
    ++next;
  }
  if (next + 1 != cmd.args.size()) {
    Tagged(cmd, "BAD", "", "Usage: APPEND mailbox [(flags)] [\"date-time\"] {size}");
    co_return;
  }
  if (cmd.args.back().value.empty()) {
    Tagged(cmd, "NO", "CANNOT", "Empty message");
    co_return;
  }
  if (cmd.args.back().binary && cmd.args.back().value.find('\0') != std::string::npos) {
    // BINARY (RFC 3516 §4.4, base in RFC 9051): a literal8 is stored as sent, but a
    // message with NUL octets could not be served by BODY[] / RFC822 (a literal is
    // CHAR8, RFC 9051 §4.3), so such content is refused as the RFC allows; the client
    // then sends it base64-encoded. 8-bit content without NUL is stored as is.
    Tagged(cmd, "NO", "UNKNOWN-CTE", "Binary content with NUL octets cannot be stored");
    co_return;
  }
  absl::StatusOr<v1::AppendMessageResponse> appended =
      co_await mailbox_.AppendMessage(metadata, cmd.args.back().value);
  if (!appended.ok()) {
    if (appended.status().code() == absl::StatusCode::kNotFound) {
      // RFC 3501 §6.3.11: the client may CREATE it and try again.
      Tagged(cmd, "NO", "TRYCREATE", "Mailbox does not exist");
    } else if (appended.status().code() == absl::StatusCode::kInvalidArgument) {
      Tagged(cmd, "BAD", "", std::string(appended.status().message()));
    } else {
      MailboxError(cmd, "AppendMessage", appended.status());
    }
    co_return;
  }
  // RFC 3501 §6.3.11: appending to the selected mailbox SHOULD announce it (EXISTS).
  if (selected_ && selected_->name == *name) co_await SyncSelected();
  Tagged(cmd, "OK", absl::StrCat("APPENDUID ", appended->uidvalidity(), " ", appended->uid()),
         "APPEND completed");
}

}  // namespace mail::imap_access
