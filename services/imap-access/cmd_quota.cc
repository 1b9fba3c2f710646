// GETQUOTA and GETQUOTAROOT (RFC 9208, read-only; limits are set with mailctl): one
// quota root "" per account, covering all its mailboxes, in KiB (STORAGE) and messages.
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdQuota(const imap::Command& cmd) {
  const bool root = cmd.name == "GETQUOTAROOT";
  if (cmd.args.size() != 1) {
    Tagged(cmd, "BAD", "", root ? "Usage: GETQUOTAROOT mailbox" : "Usage: GETQUOTA root");
    co_return;
  }
  std::string mailbox_name;
  if (root) {
    std::optional<std::string> name = MailboxArg(cmd, cmd.args[0]);
    if (!name) co_return;
    mailbox_name = *name;
  } else if (!cmd.args[0].IsAstring() || !cmd.args[0].value.empty()) {
    Tagged(cmd, "NO", "NONEXISTENT", "The only quota root is \"\"");
    co_return;
  }
  v1::GetQuotaRequest request;
  request.set_account(account_);
  absl::StatusOr<v1::GetQuotaResponse> quota = co_await mailbox_.GetQuota(request);
  if (!quota.ok()) {
    BackendError(cmd, "GetQuota", quota.status());
    co_return;
  }
  if (root) {
    std::string line = "QUOTAROOT ";
    imap::AppendMailboxName(&line, WireName(mailbox_name), utf8_);
    line += " \"\"";
    Send(imap::Untagged(line));
  }
  // RFC 9208 §5.1: no resource listed when there is no limit.
  std::string resources;
  if (quota->quota_bytes() > 0) {
    resources = absl::StrCat("STORAGE ", (quota->used_bytes() + 1023) / 1024, " ",
                             quota->quota_bytes() / 1024);
  }
  Send(imap::Untagged(absl::StrCat("QUOTA \"\" (", resources, ")")));
  Tagged(cmd, "OK", "", absl::StrCat(cmd.name, " completed"));
}

}  // namespace mail::imap_access
