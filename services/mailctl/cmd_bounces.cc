// mailctl bounces report [--since=24h]: delivery failures by cause and domain, from
// outbound-relay's attempt log, with each cause explained (services/libs/delivery).
#include "absl/time/clock.h"
#include "services/libs/delivery/classify.h"
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

int Cli::Bounces(const Args& args) {
  if (args.size() != 1 || args[0] != "report") return Usage("bounces report [--since=24h]");
  if (options_.since <= absl::ZeroDuration()) return FailText("--since must be positive");
  v1::BounceReportRequest req;
  req.set_since_unix(absl::ToUnixSeconds(absl::Now() - options_.since));
  req.set_top_domains(10);
  v1::BounceReportResponse resp;
  grpc::Status s = Relay().BounceReport(Context().get(), req, &resp);
  if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
  out_ << "since " << FormatTime(req.since_unix()) << " UTC: " << resp.delivered() << " delivered, "
       << resp.deferred() << " deferred, " << resp.failed() << " failed, " << resp.bounces_sent()
       << " DSNs sent\n";
  if (resp.causes().empty()) {
    out_ << "no failures\n";
    return kExitOk;
  }
  out_ << "\nBy cause\n";
  Table causes({"CAUSE", "FAILED", "DEFERRED", "MEANING"});
  for (const v1::CauseCount& c : resp.causes()) {
    const delivery::Cause* cause = delivery::FindCause(c.cause());
    causes.Add({c.cause().empty() ? "-" : c.cause(), std::to_string(c.failed()),
                std::to_string(c.deferred()),
                cause == nullptr ? "" : std::string(cause->english.data(), cause->english.size())});
  }
  causes.Print(out_);
  out_ << "\nTop failing domains\n";
  Table domains({"DOMAIN", "FAILED", "DEFERRED"});
  for (const v1::DomainCount& d : resp.domains()) {
    domains.Add({d.domain(), std::to_string(d.failed()), std::to_string(d.deferred())});
  }
  domains.Print(out_);
  return kExitOk;
}

}  // namespace mail::mailctl
