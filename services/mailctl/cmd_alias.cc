// mailctl alias add|list|remove.
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

int Cli::Alias(const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "add" && args.size() == 3) {
    v1::AddAliasRequest req;
    req.set_address(args[1]);
    req.set_target(args[2]);
    v1::AddAliasResponse resp;
    grpc::Status s = Accounts().AddAlias(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "alias " << args[1] << " -> " << args[2] << " added\n";
    return kExitOk;
  }
  if (sub == "list" && args.size() <= 2) {
    v1::ListAliasesRequest req;
    if (args.size() == 2) req.set_domain(args[1]);
    v1::ListAliasesResponse resp;
    grpc::Status s = Accounts().ListAliases(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    Table table({"ADDRESS", "TARGET"});
    for (const v1::Alias& a : resp.aliases()) table.Add({a.address(), a.target()});
    table.Print(out_);
    return kExitOk;
  }
  if (sub == "remove" && (args.size() == 2 || args.size() == 3)) {
    v1::RemoveAliasRequest req;
    req.set_address(args[1]);
    if (args.size() == 3) req.set_target(args[2]);
    v1::RemoveAliasResponse resp;
    grpc::Status s = Accounts().RemoveAlias(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "alias " << args[1] << (args.size() == 3 ? " -> " + args[2] : "") << " removed\n";
    return kExitOk;
  }
  return Usage("alias add ADDRESS TARGET | alias list [DOMAIN] | alias remove ADDRESS [TARGET]");
}

}  // namespace mail::mailctl
