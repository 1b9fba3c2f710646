// TTL cache with negative caching and query coalescing; see caching_resolver.h.
#include "services/dns-resolver/caching_resolver.h"

#include <chrono>

namespace mail::dns_resolver {

CachingResolver::CachingResolver(Resolver* upstream, CacheOptions options, CacheHooks hooks,
                                 Clock clock)
    : upstream_(upstream), options_(options), hooks_(std::move(hooks)), clock_(std::move(clock)) {}

std::shared_future<Answer> CachingResolver::Lookup(const std::string& name, RecordType type) {
  enum { kHit, kCoalesced, kNew } how = kNew;
  Key key(name, type);
  std::shared_future<Answer> future;
  const absl::Time now = clock_();
  {
    absl::MutexLock lock(&mu_);
    auto hit = cache_.find(key);
    if (hit != cache_.end() && hit->second.expires > now) {
      std::promise<Answer> ready;
      ready.set_value(hit->second.answer);
      future = ready.get_future().share();
      how = kHit;
    } else {
      if (hit != cache_.end()) cache_.erase(hit);
      auto pending = in_flight_.find(key);
      if (pending != in_flight_.end()) {
        future = pending->second.second;
        how = kCoalesced;
      } else {
        auto promise = std::make_shared<std::promise<Answer>>();
        future = promise->get_future().share();
        in_flight_.emplace(key, std::make_pair(std::move(promise), future));
      }
    }
  }
  switch (how) {
    case kHit:
      if (hooks_.cache_hit) hooks_.cache_hit(type);
      break;
    case kCoalesced:
      if (hooks_.coalesced) hooks_.coalesced(type);
      break;
    case kNew:
      // Outside the lock: a fake upstream may answer inline.
      upstream_->Query(name, type,
                       [this, key, now](Answer answer) { Complete(key, now, std::move(answer)); });
      break;
  }
  return future;
}

void CachingResolver::Complete(const Key& key, absl::Time started, Answer answer) {
  absl::Time now = clock_();
  if (hooks_.upstream_done) hooks_.upstream_done(key.first, key.second, answer, now - started);
  std::shared_ptr<std::promise<Answer>> promise;
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      promise = std::move(it->second.first);
      in_flight_.erase(it);
    }
    InsertLocked(key, answer, now);
  }
  if (promise != nullptr) promise->set_value(std::move(answer));
}

void CachingResolver::InsertLocked(const Key& key, Answer answer, absl::Time now) {
  // Temporary failures are not cached: the next lookup asks again.
  if (answer.outcome == Outcome::kTempFail) return;
  absl::Duration ttl;
  if (answer.outcome == Outcome::kFound) {
    ttl = answer.ttl.value_or(absl::ZeroDuration());
  } else {
    ttl = answer.ttl.value_or(options_.default_negative_ttl);
  }
  ttl = std::min(ttl, options_.max_ttl);
  if (ttl <= absl::ZeroDuration()) return;  // TTL 0: use once, never cache (RFC 1035 §3.2.1)
  if (cache_.size() >= options_.max_entries) {
    // Full: drop what has expired, then arbitrary entries down to 90%, so the scan runs
    // once per tenth of the cache rather than on every insert.
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.expires <= now ? cache_.erase(it) : std::next(it);
    }
    const size_t target = options_.max_entries - options_.max_entries / 10 - 1;
    while (!cache_.empty() && cache_.size() > target) cache_.erase(cache_.begin());
  }
  cache_[key] = Entry{std::move(answer), now + ttl};
}

Answer CachingResolver::Await(const std::shared_future<Answer>& answer, absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
  if (answer.wait_for(absl::ToChronoMilliseconds(left)) != std::future_status::ready) {
    return Answer::TempFail("timed out waiting for the upstream DNS server");
  }
  return answer.get();
}

size_t CachingResolver::size() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

}  // namespace mail::dns_resolver
