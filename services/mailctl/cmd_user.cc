// mailctl user add|list|remove|passwd|quota.
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

int Cli::User(const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "add" && args.size() == 2) {
    v1::AddAccountRequest req;
    req.set_address(args[1]);
    if (!options_.quota.empty()) {
      std::optional<uint64_t> quota = ParseSize(options_.quota);
      if (!quota) return Usage("user add ADDRESS [--password-stdin] [--quota=BYTES] (bad quota)");
      req.set_quota_bytes(*quota);
    }
    bool generated = false;
    if (!ReadOrGeneratePassword(args[1], req.mutable_password(), &generated)) return kExitFailed;
    v1::AddAccountResponse resp;
    grpc::Status s = Accounts().AddAccount(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "account " << args[1] << " added\n";
    if (generated) out_ << "password: " << req.password() << "\n";
    return kExitOk;
  }
  if (sub == "list" && args.size() <= 2) {
    v1::ListAccountsRequest req;
    if (args.size() == 2) req.set_domain(args[1]);
    v1::ListAccountsResponse resp;
    grpc::Status s = Accounts().ListAccounts(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    Table table({"ADDRESS", "QUOTA", "USED", "STATUS"});
    for (const v1::Account& a : resp.accounts()) {
      table.Add({a.address(), a.quota_bytes() == 0 ? "unlimited" : FormatBytes(a.quota_bytes()),
                 FormatBytes(a.used_bytes()), a.disabled() ? "disabled" : "active"});
    }
    table.Print(out_);
    return kExitOk;
  }
  if (sub == "remove" && args.size() == 2) {
    v1::RemoveAccountRequest req;
    req.set_address(args[1]);
    v1::RemoveAccountResponse resp;
    grpc::Status s = Accounts().RemoveAccount(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "account " << args[1] << " removed\n";
    return kExitOk;
  }
  if (sub == "passwd" && args.size() == 2) {
    v1::SetPasswordRequest req;
    req.set_address(args[1]);
    bool generated = false;
    if (!ReadOrGeneratePassword(args[1], req.mutable_password(), &generated)) return kExitFailed;
    v1::SetPasswordResponse resp;
    grpc::Status s = Accounts().SetPassword(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "password of " << args[1] << " changed\n";
    if (generated) out_ << "password: " << req.password() << "\n";
    return kExitOk;
  }
  if (sub == "quota" && args.size() == 3) {
    std::optional<uint64_t> quota = ParseSize(args[2]);
    if (!quota) return Usage("user quota ADDRESS BYTES (e.g. 0, 500M, 2G)");
    v1::SetQuotaRequest req;
    req.set_address(args[1]);
    req.set_quota_bytes(*quota);
    v1::SetQuotaResponse resp;
    grpc::Status s = Accounts().SetQuota(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "quota of " << args[1] << " set to "
         << (*quota == 0 ? "unlimited" : FormatBytes(*quota)) << "\n";
    return kExitOk;
  }
  if (sub == "senders" && args.size() == 2) {
    v1::ListSenderAddressesRequest req;
    req.set_account(args[1]);
    v1::ListSenderAddressesResponse resp;
    grpc::Status s = Mailboxes().ListSenderAddresses(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    for (const std::string& address : resp.addresses()) out_ << address << "\n";
    return kExitOk;
  }
  return Usage(
      "user add ADDRESS [--password-stdin] [--quota=BYTES] | user list [DOMAIN] | "
      "user remove ADDRESS | user senders ADDRESS | user passwd ADDRESS [--password-stdin] | user "
      "quota ADDRESS BYTES");
}

}  // namespace mail::mailctl
