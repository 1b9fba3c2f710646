// mailctl domain add|list|remove.
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

int Cli::Domain(const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "add" && args.size() == 2) {
    v1::AddDomainRequest req;
    req.set_name(args[1]);
    v1::AddDomainResponse resp;
    grpc::Status s = Accounts().AddDomain(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "domain " << args[1] << " added\n";
    return kExitOk;
  }
  if (sub == "list" && args.size() == 1) {
    v1::ListDomainsRequest req;
    v1::ListDomainsResponse resp;
    grpc::Status s = Accounts().ListDomains(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    Table table({"DOMAIN", "ACCOUNTS", "CREATED"});
    for (const v1::Domain& d : resp.domains()) {
      table.Add({d.name(), std::to_string(d.accounts()), FormatTime(d.created_unix())});
    }
    table.Print(out_);
    return kExitOk;
  }
  if (sub == "remove" && args.size() == 2) {
    v1::RemoveDomainRequest req;
    req.set_name(args[1]);
    req.set_force(options_.force);
    v1::RemoveDomainResponse resp;
    grpc::Status s = Accounts().RemoveDomain(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "domain " << args[1] << " removed\n";
    return kExitOk;
  }
  return Usage("domain add NAME | domain list | domain remove NAME [--force]");
}

}  // namespace mail::mailctl
