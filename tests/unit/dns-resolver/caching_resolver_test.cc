// Tests for the TTL cache, negative caching and query coalescing.
#include "services/dns-resolver/caching_resolver.h"

#include <catch2/catch.hpp>

#include "tests/unit/dns-resolver/fake_resolver.h"

namespace mail::dns_resolver {
namespace {

struct Fixture {
  FakeResolver upstream;
  absl::Time now = absl::FromUnixSeconds(1700000000);
  int hits = 0;
  int coalesced = 0;
  CacheOptions options;
  std::unique_ptr<CachingResolver> cache;
  Fixture() { Make(); }
  void Make() {
    CacheHooks hooks;
    hooks.cache_hit = [this](RecordType) { ++hits; };
    hooks.coalesced = [this](RecordType) { ++coalesced; };
    cache = std::make_unique<CachingResolver>(&upstream, options, hooks, [this] { return now; });
  }
  Answer Get(const std::string& name, RecordType type) {
    auto f = cache->Lookup(name, type);
    REQUIRE(f.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    return f.get();
  }
};

TEST_CASE("caching_resolver: answers are cached for their TTL, then asked again") {
  Fixture f;
  f.upstream.SetAddresses("mx.example.org", RecordType::kA, {"192.0.2.1"}, 300);
  CHECK(f.Get("mx.example.org", RecordType::kA).addresses[0] == "192.0.2.1");
  CHECK(f.upstream.queries == 1);
  f.now += absl::Seconds(299);
  CHECK(f.Get("mx.example.org", RecordType::kA).outcome == Outcome::kFound);
  CHECK(f.upstream.queries == 1);
  CHECK(f.hits == 1);
  f.now += absl::Seconds(1);
  f.Get("mx.example.org", RecordType::kA);
  CHECK(f.upstream.queries == 2);
}

TEST_CASE("caching_resolver: the type is part of the key") {
  Fixture f;
  f.upstream.SetAddresses("h.example.org", RecordType::kA, {"192.0.2.1"});
  f.upstream.SetOutcome("h.example.org", RecordType::kAaaa, Outcome::kNoData);
  CHECK(f.Get("h.example.org", RecordType::kA).outcome == Outcome::kFound);
  CHECK(f.Get("h.example.org", RecordType::kAaaa).outcome == Outcome::kNoData);
  CHECK(f.upstream.queries == 2);
}

TEST_CASE("caching_resolver: TTLs are capped by max_ttl") {
  Fixture f;
  f.options.max_ttl = absl::Seconds(60);
  f.Make();
  f.upstream.SetAddresses("h.example.org", RecordType::kA, {"192.0.2.1"}, 86400);
  f.Get("h.example.org", RecordType::kA);
  f.now += absl::Seconds(61);
  f.Get("h.example.org", RecordType::kA);
  CHECK(f.upstream.queries == 2);
}

TEST_CASE("caching_resolver: negative answers use the SOA TTL, else the default") {
  Fixture f;
  f.options.default_negative_ttl = absl::Seconds(30);
  f.Make();
  // No SOA: the default.
  f.upstream.SetOutcome("gone.example.org", RecordType::kMx, Outcome::kNxDomain);
  f.Get("gone.example.org", RecordType::kMx);
  f.now += absl::Seconds(29);
  CHECK(f.Get("gone.example.org", RecordType::kMx).outcome == Outcome::kNxDomain);
  CHECK(f.upstream.queries == 1);
  f.now += absl::Seconds(1);
  f.Get("gone.example.org", RecordType::kMx);
  CHECK(f.upstream.queries == 2);
  // With an SOA-derived TTL.
  Answer nodata;
  nodata.outcome = Outcome::kNoData;
  nodata.ttl = absl::Seconds(5);
  f.upstream.table[{"n.example.org", RecordType::kMx}] = nodata;
  f.Get("n.example.org", RecordType::kMx);
  f.now += absl::Seconds(5);
  f.Get("n.example.org", RecordType::kMx);
  CHECK(f.upstream.queries == 4);
}

TEST_CASE("caching_resolver: temporary failures and TTL 0 are not cached") {
  Fixture f;
  f.upstream.SetOutcome("t.example.org", RecordType::kA, Outcome::kTempFail);
  f.Get("t.example.org", RecordType::kA);
  f.Get("t.example.org", RecordType::kA);
  CHECK(f.upstream.queries == 2);
  f.upstream.SetAddresses("z.example.org", RecordType::kA, {"192.0.2.9"}, 0);
  f.Get("z.example.org", RecordType::kA);
  f.Get("z.example.org", RecordType::kA);
  CHECK(f.upstream.queries == 4);
  CHECK(f.cache->size() == 0);
}

TEST_CASE("caching_resolver: identical concurrent lookups share one upstream query") {
  Fixture f;
  f.upstream.answer_inline = false;
  f.upstream.SetAddresses("mx.example.org", RecordType::kA, {"192.0.2.1"});
  auto a = f.cache->Lookup("mx.example.org", RecordType::kA);
  auto b = f.cache->Lookup("mx.example.org", RecordType::kA);
  auto c = f.cache->Lookup("mx.example.org", RecordType::kAaaa);
  CHECK(f.upstream.queries == 2);
  CHECK(f.coalesced == 1);
  CHECK(a.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
  f.upstream.Flush();
  CHECK(a.get().addresses == b.get().addresses);
  CHECK(c.get().outcome == Outcome::kNxDomain);
  // Now it is a cache hit.
  f.Get("mx.example.org", RecordType::kA);
  CHECK(f.upstream.queries == 2);
}

TEST_CASE("caching_resolver: Await gives a temporary failure at the deadline") {
  Fixture f;
  f.upstream.answer_inline = false;
  auto pending = f.cache->Lookup("slow.example.org", RecordType::kA);
  Answer a = CachingResolver::Await(pending, absl::Now() + absl::Milliseconds(10));
  CHECK(a.outcome == Outcome::kTempFail);
  f.upstream.Flush();  // the late answer still completes the future
  CHECK(pending.get().outcome == Outcome::kNxDomain);
}

TEST_CASE("caching_resolver: the entry limit evicts") {
  Fixture f;
  f.options.max_entries = 2;
  f.Make();
  for (const char* n : {"a.org", "b.org", "c.org"}) {
    f.upstream.SetAddresses(n, RecordType::kA, {"192.0.2.1"});
    f.Get(n, RecordType::kA);
  }
  CHECK(f.cache->size() == 2);
}

}  // namespace
}  // namespace mail::dns_resolver
