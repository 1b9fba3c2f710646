// mailctl suppression list|add|remove: addresses outbound-relay does not attempt after a
// hard failure or repeated soft failures.
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

int Cli::Suppression(const Args& args) {
  if (args.size() == 1 && args[0] == "list") {
    v1::ListSuppressionsRequest req;
    req.set_limit(options_.limit);
    v1::ListSuppressionsResponse resp;
    grpc::Status s = Relay().ListSuppressions(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
    if (resp.entries().empty()) {
      out_ << "no address is suppressed\n";
      return kExitOk;
    }
    Table table({"ADDRESS", "CAUSE", "HARD", "SOFT", "LAST FAILURE", "UNTIL", "REASON"});
    for (const v1::Suppression& e : resp.entries()) {
      table.Add({e.address(), e.cause().empty() ? "-" : e.cause(),
                 std::to_string(e.hard_failures()), std::to_string(e.soft_failures()),
                 FormatTime(e.last_unix()), FormatTime(e.expires_unix()), e.reason()});
    }
    table.Print(out_);
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "add") {
    v1::AddSuppressionRequest req;
    req.set_address(args[1]);
    req.set_reason(options_.reason);
    req.set_ttl_seconds(absl::ToInt64Seconds(options_.ttl));
    v1::AddSuppressionResponse resp;
    grpc::Status s = Relay().AddSuppression(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
    out_ << resp.entry().address() << " suppressed until "
         << FormatTime(resp.entry().expires_unix()) << " UTC\n";
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "remove") {
    v1::RemoveSuppressionRequest req;
    req.set_address(args[1]);
    v1::RemoveSuppressionResponse resp;
    grpc::Status s = Relay().RemoveSuppression(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
    if (!resp.removed()) return FailText(args[1] + " is not suppressed");
    out_ << args[1] << " is no longer suppressed\n";
    return kExitOk;
  }
  return Usage(
      "suppression list [--limit=N] | suppression add ADDRESS [--reason=TEXT] [--ttl=720h] | "
      "suppression remove ADDRESS");
}

}  // namespace mail::mailctl
