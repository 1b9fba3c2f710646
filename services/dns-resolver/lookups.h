// The answers DnsService gives, built from cached lookups: MX hosts in preference order
// with their addresses, implicit MX (RFC 5321 §5.1), null MX (RFC 7505), addresses and
// TXT and PTR. Thread-safe; each call blocks its (gRPC handler) thread until `deadline`.
#ifndef MAILSUITE_SERVICES_DNS_RESOLVER_LOOKUPS_H_
#define MAILSUITE_SERVICES_DNS_RESOLVER_LOOKUPS_H_

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mail/v1/dns_service.pb.h"
#include "services/dns-resolver/answer.h"
#include "services/dns-resolver/caching_resolver.h"

namespace mail::dns_resolver {

// At most this many MX hosts are returned (Postfix tries 5 addresses by default).
inline constexpr size_t kMaxMxHosts = 10;
// And at most this many addresses per host.
inline constexpr size_t kMaxAddressesPerHost = 8;
// At most this many PTR names are returned.
inline constexpr size_t kMaxPtrNames = 10;

// True when `records` is a null MX: a single MX whose exchange is the root ".".
bool IsNullMx(const std::vector<MxRecord>& records);

// Ascending preference; hosts of equal preference shuffled (RFC 5321 §5.1 "SHOULD
// randomize"); "." entries dropped (a null MX mixed with real ones is a
// misconfiguration, RFC 7505 §3: the real ones are used); duplicates removed; at most
// kMaxMxHosts kept.
std::vector<MxRecord> SortMx(std::vector<MxRecord> records, std::mt19937& rng);

v1::DnsOutcome ToProto(Outcome outcome);

class Lookups {
 public:
  // Called once per record lookup with its final outcome (cache hits included).
  using Observer = std::function<void(RecordType, Outcome)>;
  // `cache` is not owned.
  Lookups(CachingResolver* cache, Observer observer = nullptr,
          uint32_t seed = std::random_device{}());

  // `domain`/`name` must be normalized (NormalizeName).
  v1::ResolveMxResponse ResolveMx(const std::string& domain, absl::Time deadline);
  v1::ResolveAddressResponse ResolveAddress(const std::string& name, absl::Time deadline);
  v1::ResolveTxtResponse ResolveTxt(const std::string& name, absl::Time deadline);
  // `reverse_name` from ReverseName(). Targets that are not valid host names
  // (NormalizeName) are dropped: they end up in Received: headers and logs. A FOUND
  // answer left with no valid name is reported as NO_DATA.
  v1::ResolvePtrResponse ResolvePtr(const std::string& reverse_name, absl::Time deadline);

 private:
  struct Pending {
    std::shared_future<Answer> a, aaaa;
  };
  Pending StartAddress(const std::string& name);
  // Fills `host` (addresses + address_outcome); returns the combined outcome.
  Outcome FinishAddress(const std::string& name, Pending& pending, absl::Time deadline,
                        v1::MxHost* host, std::string* detail);
  Answer Wait(const std::shared_future<Answer>& f, RecordType type, absl::Time deadline);

  CachingResolver* const cache_;
  const Observer observer_;
  absl::Mutex rng_mu_;
  std::mt19937 rng_ ABSL_GUARDED_BY(rng_mu_);
};

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_SERVICES_DNS_RESOLVER_LOOKUPS_H_
