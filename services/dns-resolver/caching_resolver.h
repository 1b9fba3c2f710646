// A cache in front of a Resolver: answers are kept for their TTL (capped), negative
// answers (NXDOMAIN, NO_DATA) for their RFC 2308 TTL or a default, and identical
// lookups in flight at the same time share one upstream query. Thread-safe; lookups
// return a shared_future that the caller waits on with its own deadline.
#ifndef MAILSUITE_SERVICES_DNS_RESOLVER_CACHING_RESOLVER_H_
#define MAILSUITE_SERVICES_DNS_RESOLVER_CACHING_RESOLVER_H_

#include <functional>
#include <future>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/dns-resolver/answer.h"

namespace mail::dns_resolver {

struct CacheOptions {
  // Upper bound for any cached answer, positive or negative.
  absl::Duration max_ttl = absl::Hours(1);
  // Negative answers whose response carried no SOA (RFC 2308 §5 says such answers
  // SHOULD NOT be cached; a short default keeps a burst of lookups off the upstream).
  absl::Duration default_negative_ttl = absl::Seconds(60);
  // At this size, expired entries are dropped, then arbitrary ones down to 90%.
  size_t max_entries = 100000;
};

// Observers for metrics; each may be empty. Called without locks held.
struct CacheHooks {
  std::function<void(RecordType)> cache_hit;
  std::function<void(RecordType)> coalesced;
  std::function<void(const std::string& name, RecordType, const Answer&, absl::Duration latency)>
      upstream_done;
};

class CachingResolver {
 public:
  using Clock = std::function<absl::Time()>;
  // `upstream` is not owned and must outlive this object and every pending query.
  CachingResolver(
      Resolver* upstream, CacheOptions options, CacheHooks hooks = {},
      Clock clock = [] { return absl::Now(); });

  // `name` must be normalized (NormalizeName). The future is ready at once on a hit.
  std::shared_future<Answer> Lookup(const std::string& name, RecordType type);

  // Waits for `answer` until `deadline`; a timeout gives a temporary failure (the
  // upstream query goes on and its answer is still cached for the next caller).
  static Answer Await(const std::shared_future<Answer>& answer, absl::Time deadline);

  size_t size() const;

 private:
  using Key = std::pair<std::string, RecordType>;
  struct Entry {
    Answer answer;
    absl::Time expires;
  };
  void Complete(const Key& key, absl::Time started, Answer answer);
  void InsertLocked(const Key& key, Answer answer, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Resolver* const upstream_;
  const CacheOptions options_;
  const CacheHooks hooks_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  std::map<Key, Entry> cache_ ABSL_GUARDED_BY(mu_);
  // Lookups sent upstream and not answered yet: later identical lookups share them.
  std::map<Key, std::pair<std::shared_ptr<std::promise<Answer>>, std::shared_future<Answer>>>
      in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_SERVICES_DNS_RESOLVER_CACHING_RESOLVER_H_
