// dns-resolver: the suite's only DNS client. Serves DnsService over gRPC, answering from
// a TTL cache in front of c-ares. Flags are defined here and nowhere else.
#include <ares.h>

#include <map>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/dns-resolver/ares_resolver.h"
#include "services/dns-resolver/caching_resolver.h"
#include "services/dns-resolver/dns_service.h"
#include "services/dns-resolver/lookups.h"
#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/rpc/server.h"

ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50053", "Address of the DnsService gRPC server.");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9103", "Address of the /metrics endpoint.");
ABSL_FLAG(std::string, log_level, "info", "Lowest log level written: debug, info, warning, error.");
ABSL_FLAG(std::string, upstream, "",
          "DNS servers to ask, HOST:PORT[,HOST:PORT...] ([::1]:53 for IPv6); empty reads "
          "/etc/resolv.conf.");
ABSL_FLAG(int, timeout_ms, 2000, "Timeout of one try to one upstream server, in milliseconds.");
ABSL_FLAG(int, tries, 2, "Tries per upstream server before a query fails.");
ABSL_FLAG(absl::Duration, cache_max_ttl, absl::Hours(1),
          "Longest time any answer, positive or negative, stays cached.");
ABSL_FLAG(absl::Duration, negative_ttl, absl::Seconds(60),
          "Cache time of NXDOMAIN / no-data answers that carry no SOA record.");
ABSL_FLAG(int, cache_max_entries, 100000, "Most answers held in the cache.");
ABSL_FLAG(absl::Duration, max_wait, absl::Seconds(20),
          "Longest a gRPC call waits for upstream answers (the caller's deadline may be "
          "shorter).");

namespace mail::dns_resolver {
namespace {

constexpr char kUsage[] =
    "dns-resolver: answers MX, A/AAAA, TXT and PTR lookups for the mail suite over gRPC.\n"
    "Usage: dns-resolver [--upstream=127.0.0.1:5353] [--grpc_address=127.0.0.1:50053] ...";

// Counters created up front, one per label set, so /metrics shows zeros from the start.
struct Metrics {
  std::map<std::pair<RecordType, Outcome>, prometheus::Counter*> queries;
  std::map<RecordType, prometheus::Counter*> cache_hits, coalesced;
  std::map<RecordType, prometheus::Histogram*> latency;
};

constexpr RecordType kTypes[] = {RecordType::kA, RecordType::kAaaa, RecordType::kMx,
                                 RecordType::kTxt, RecordType::kPtr};
constexpr Outcome kOutcomes[] = {Outcome::kFound, Outcome::kNxDomain, Outcome::kNoData,
                                 Outcome::kTempFail};

Metrics BuildMetrics(prometheus::Registry& registry) {
  Metrics m;
  auto& queries = metrics::CounterFamily(
      registry, "mailsuite_dns_resolver_queries_total",
      "Record lookups answered, by record type and outcome (cache hits included).");
  auto& hits = metrics::CounterFamily(registry, "mailsuite_dns_resolver_cache_hits_total",
                                      "Lookups answered from the cache.");
  auto& coalesced =
      metrics::CounterFamily(registry, "mailsuite_dns_resolver_coalesced_total",
                             "Lookups that joined an identical upstream query already in flight.");
  auto& latency =
      metrics::HistogramFamily(registry, "mailsuite_dns_resolver_upstream_latency_seconds",
                               "Time from sending a query upstream to its answer.");
  for (RecordType t : kTypes) {
    std::string type(RecordTypeName(t));
    for (Outcome o : kOutcomes) {
      m.queries[{t, o}] = &queries.Add({{"type", type}, {"outcome", std::string(OutcomeName(o))}});
    }
    m.cache_hits[t] = &hits.Add({{"type", type}});
    m.coalesced[t] = &coalesced.Add({{"type", type}});
    m.latency[t] = &latency.Add({{"type", type}}, metrics::LatencyBuckets());
  }
  return m;
}

int Run(int argc, char** argv) {
  base::BlockTerminationSignals();
  base::ParseFlags(argc, argv, kUsage);
  base::LogLevel level;
  if (!base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "dns-resolver: bad --log_level\n");
    return 2;
  }
  base::InitLogging("dns-resolver", level);
  if (absl::GetFlag(FLAGS_timeout_ms) <= 0 || absl::GetFlag(FLAGS_tries) <= 0 ||
      absl::GetFlag(FLAGS_cache_max_entries) <= 0) {
    base::LogError("--timeout_ms, --tries and --cache_max_entries must be positive");
    return 2;
  }

  if (int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
    base::LogError("ares_library_init failed", {{"error", ares_strerror(rc)}});
    return 1;
  }
  auto metrics_server = metrics::MetricsServer::Start(absl::GetFlag(FLAGS_metrics_address));
  if (!metrics_server.ok()) {
    base::LogError("cannot start metrics", {{"error", metrics_server.status().ToString()}});
    return 1;
  }
  Metrics m = BuildMetrics((*metrics_server)->registry());

  AresOptions ares_options;
  ares_options.upstream = absl::GetFlag(FLAGS_upstream);
  ares_options.timeout = absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  ares_options.tries = absl::GetFlag(FLAGS_tries);
  auto ares = AresResolver::Start(ares_options);
  if (!ares.ok()) {
    base::LogError("cannot start the resolver", {{"error", ares.status().ToString()}});
    return 2;
  }

  CacheOptions cache_options;
  cache_options.max_ttl = absl::GetFlag(FLAGS_cache_max_ttl);
  cache_options.default_negative_ttl = absl::GetFlag(FLAGS_negative_ttl);
  cache_options.max_entries = static_cast<size_t>(absl::GetFlag(FLAGS_cache_max_entries));
  CacheHooks hooks;
  hooks.cache_hit = [&m](RecordType t) { m.cache_hits[t]->Increment(); };
  hooks.coalesced = [&m](RecordType t) { m.coalesced[t]->Increment(); };
  hooks.upstream_done = [&m](const std::string& name, RecordType t, const Answer& answer,
                             absl::Duration latency) {
    m.latency[t]->Observe(absl::ToDoubleSeconds(latency));
    if (answer.outcome == Outcome::kTempFail) {
      base::LogWarning(
          "upstream lookup failed",
          {{"name", name}, {"type", std::string(RecordTypeName(t))}, {"detail", answer.detail}});
    }
  };
  CachingResolver cache(ares->get(), cache_options, std::move(hooks));
  Lookups lookups(&cache, [&m](RecordType t, Outcome o) { m.queries[{t, o}]->Increment(); });
  DnsServiceImpl service(&lookups, absl::GetFlag(FLAGS_max_wait));

  auto server = rpc::GrpcServer::Start(absl::GetFlag(FLAGS_grpc_address), {&service});
  if (!server.ok()) {
    base::LogError("cannot start gRPC", {{"error", server.status().ToString()}});
    return 1;
  }
  base::LogInfo(
      "dns-resolver started",
      {{"grpc_address", absl::GetFlag(FLAGS_grpc_address)},
       {"upstream", ares_options.upstream.empty() ? "/etc/resolv.conf" : ares_options.upstream}});
  int sig = base::WaitForTerminationSignal();
  base::LogInfo("shutting down", {{"signal", std::to_string(sig)}});
  (*server)->Shutdown(absl::Seconds(5));
  server->reset();
  ares->reset();  // joins the loop thread; no callback touches the cache after this
  ares_library_cleanup();
  base::LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace mail::dns_resolver

int main(int argc, char** argv) { return mail::dns_resolver::Run(argc, argv); }
