// Tests for MX ordering, null MX, implicit MX and the address outcomes.
#include "services/dns-resolver/lookups.h"

#include <catch2/catch.hpp>
#include <set>

#include "tests/unit/dns-resolver/fake_resolver.h"

namespace mail::dns_resolver {
namespace {

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

TEST_CASE("lookups: SortMx orders by preference and shuffles equal ones") {
  std::set<std::string> first_seen;
  for (uint32_t seed = 0; seed < 40; ++seed) {
    std::mt19937 rng(seed);
    auto sorted = SortMx({{20, "c.org"}, {10, "a.org"}, {10, "b.org"}, {5, "z.org"}}, rng);
    REQUIRE(sorted.size() == 4);
    CHECK(sorted[0].exchange == "z.org");
    CHECK(sorted[3].exchange == "c.org");
    first_seen.insert(sorted[1].exchange);
  }
  CHECK(first_seen == std::set<std::string>{"a.org", "b.org"});
}

TEST_CASE("lookups: SortMx drops root entries and duplicates, caps the list") {
  std::mt19937 rng(1);
  auto sorted = SortMx({{0, ""}, {10, "a.org"}, {20, "a.org"}}, rng);
  REQUIRE(sorted.size() == 1);
  CHECK(sorted[0].preference == 10);
  std::vector<MxRecord> many;
  for (int i = 0; i < 30; ++i) many.push_back({static_cast<uint16_t>(i), "h" + std::to_string(i)});
  CHECK(SortMx(many, rng).size() == kMaxMxHosts);
}

TEST_CASE("lookups: IsNullMx only for a single root MX") {
  CHECK(IsNullMx({{0, ""}}));
  CHECK_FALSE(IsNullMx({{0, ""}, {10, "mx.org"}}));
  CHECK_FALSE(IsNullMx({{0, "mx.org"}}));
  CHECK_FALSE(IsNullMx({}));
}

struct Fixture {
  FakeResolver upstream;
  CachingResolver cache{&upstream, CacheOptions{}};
  Lookups lookups{&cache, nullptr, 7};
};

TEST_CASE("lookups: ResolveMx returns hosts in order with their addresses") {
  Fixture f;
  f.upstream.SetMx("remote.test", {{20, "mx2.remote.test"}, {10, "mx1.remote.test"}});
  f.upstream.SetAddresses("mx1.remote.test", RecordType::kA, {"127.0.0.1"});
  f.upstream.SetOutcome("mx1.remote.test", RecordType::kAaaa, Outcome::kNoData);
  f.upstream.SetAddresses("mx2.remote.test", RecordType::kA, {"127.0.0.2"});
  f.upstream.SetAddresses("mx2.remote.test", RecordType::kAaaa, {"::1"});
  auto r = f.lookups.ResolveMx("remote.test", Soon());
  CHECK(r.outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK_FALSE(r.implicit_mx());
  CHECK_FALSE(r.null_mx());
  REQUIRE(r.hosts_size() == 2);
  CHECK(r.hosts(0).name() == "mx1.remote.test");
  CHECK(r.hosts(0).addresses_size() == 1);
  CHECK(r.hosts(0).address_outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK(r.hosts(1).preference() == 20);
  REQUIRE(r.hosts(1).addresses_size() == 2);
  CHECK(r.hosts(1).addresses(0) == "127.0.0.2");  // IPv4 first
  CHECK(r.hosts(1).addresses(1) == "::1");
}

TEST_CASE("lookups: an MX host that does not resolve is reported with its outcome") {
  Fixture f;
  f.upstream.SetMx("remote.test", {{10, "gone.remote.test"}, {20, "flaky.remote.test"}});
  f.upstream.SetOutcome("flaky.remote.test", RecordType::kA, Outcome::kTempFail);
  f.upstream.SetOutcome("flaky.remote.test", RecordType::kAaaa, Outcome::kNoData);
  auto r = f.lookups.ResolveMx("remote.test", Soon());
  CHECK(r.outcome() == v1::DNS_OUTCOME_FOUND);
  REQUIRE(r.hosts_size() == 2);
  CHECK(r.hosts(0).address_outcome() == v1::DNS_OUTCOME_NXDOMAIN);
  CHECK(r.hosts(1).address_outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE);
}

TEST_CASE("lookups: no MX record means the domain is its own implicit MX (RFC 5321 §5.1)") {
  Fixture f;
  f.upstream.SetOutcome("plain.test", RecordType::kMx, Outcome::kNoData);
  f.upstream.SetAddresses("plain.test", RecordType::kA, {"127.0.0.3"});
  f.upstream.SetOutcome("plain.test", RecordType::kAaaa, Outcome::kNoData);
  auto r = f.lookups.ResolveMx("plain.test", Soon());
  CHECK(r.outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK(r.implicit_mx());
  REQUIRE(r.hosts_size() == 1);
  CHECK(r.hosts(0).name() == "plain.test");
  CHECK(r.hosts(0).preference() == 0);
  CHECK(r.hosts(0).addresses(0) == "127.0.0.3");
}

TEST_CASE("lookups: no MX and no address is NO_DATA, a failing A lookup is temporary") {
  Fixture f;
  f.upstream.SetOutcome("empty.test", RecordType::kMx, Outcome::kNoData);
  f.upstream.SetOutcome("empty.test", RecordType::kA, Outcome::kNoData);
  f.upstream.SetOutcome("empty.test", RecordType::kAaaa, Outcome::kNoData);
  auto r = f.lookups.ResolveMx("empty.test", Soon());
  CHECK(r.outcome() == v1::DNS_OUTCOME_NO_DATA);
  CHECK(r.hosts_size() == 0);

  f.upstream.SetOutcome("flaky.test", RecordType::kMx, Outcome::kNoData);
  f.upstream.SetOutcome("flaky.test", RecordType::kA, Outcome::kTempFail);
  f.upstream.SetOutcome("flaky.test", RecordType::kAaaa, Outcome::kNoData);
  CHECK(f.lookups.ResolveMx("flaky.test", Soon()).outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE);
}

TEST_CASE("lookups: NXDOMAIN stays NXDOMAIN, no implicit MX") {
  Fixture f;  // the fake answers NXDOMAIN for anything not in its table
  auto r = f.lookups.ResolveMx("nowhere.test", Soon());
  CHECK(r.outcome() == v1::DNS_OUTCOME_NXDOMAIN);
  CHECK_FALSE(r.implicit_mx());
  CHECK(f.upstream.queries == 1);  // no A/AAAA lookups followed
}

TEST_CASE("lookups: a null MX is reported and no host is resolved (RFC 7505)") {
  Fixture f;
  f.upstream.SetMx("nomail.test", {{0, ""}});
  auto r = f.lookups.ResolveMx("nomail.test", Soon());
  CHECK(r.outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK(r.null_mx());
  CHECK(r.hosts_size() == 0);
  CHECK(f.upstream.queries == 1);
}

TEST_CASE("lookups: an MX temporary failure is TEMPORARY_FAILURE") {
  Fixture f;
  f.upstream.SetOutcome("down.test", RecordType::kMx, Outcome::kTempFail);
  CHECK(f.lookups.ResolveMx("down.test", Soon()).outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE);
}

TEST_CASE("lookups: ResolveAddress and ResolveTxt") {
  Fixture f;
  f.upstream.SetAddresses("h.test", RecordType::kAaaa, {"2001:db8::1"});
  f.upstream.SetOutcome("h.test", RecordType::kA, Outcome::kNoData);
  auto a = f.lookups.ResolveAddress("h.test", Soon());
  CHECK(a.outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK(a.addresses(0) == "2001:db8::1");
  Answer txt;
  txt.outcome = Outcome::kFound;
  txt.txt = {"v=spf1 -all"};
  txt.ttl = absl::Seconds(60);
  f.upstream.table[{"h.test", RecordType::kTxt}] = txt;
  auto t = f.lookups.ResolveTxt("h.test", Soon());
  CHECK(t.outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK(t.records(0) == "v=spf1 -all");
}

}  // namespace
}  // namespace mail::dns_resolver

namespace mail::dns_resolver {
namespace {

Answer PtrAnswer(std::vector<std::string> names, int ttl = 300) {
  Answer a;
  a.outcome = Outcome::kFound;
  a.ptr = std::move(names);
  a.ttl = absl::Seconds(ttl);
  return a;
}

TEST_CASE("lookups: ResolvePtr returns valid, de-duplicated names") {
  FakeResolver upstream;
  CachingResolver cache(&upstream, CacheOptions{});
  std::vector<std::pair<RecordType, Outcome>> seen;
  Lookups lookups(
      &cache, [&](RecordType t, Outcome o) { seen.emplace_back(t, o); }, 7);
  upstream.table[{"1.2.0.192.in-addr.arpa", RecordType::kPtr}] =
      PtrAnswer({"mail.example.org", "bad name.example.org", "mail.example.org", "b.example.org"});
  auto r = lookups.ResolvePtr("1.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5));
  CHECK(r.outcome() == v1::DNS_OUTCOME_FOUND);
  CHECK(r.reverse_name() == "1.2.0.192.in-addr.arpa");
  REQUIRE(r.names_size() == 2);
  CHECK(r.names(0) == "mail.example.org");
  CHECK(r.names(1) == "b.example.org");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::make_pair(RecordType::kPtr, Outcome::kFound));

  // Only junk: reported as no data, so nobody trusts a name.
  upstream.table[{"2.2.0.192.in-addr.arpa", RecordType::kPtr}] = PtrAnswer({"x y"});
  CHECK(lookups.ResolvePtr("2.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5)).outcome() ==
        v1::DNS_OUTCOME_NO_DATA);
}

TEST_CASE("lookups: ResolvePtr outcomes are cached (negative too) and coalesced") {
  FakeResolver upstream;
  upstream.answer_inline = false;
  int hits = 0, coalesced = 0;
  CacheHooks hooks;
  hooks.cache_hit = [&](RecordType t) { hits += t == RecordType::kPtr; };
  hooks.coalesced = [&](RecordType t) { coalesced += t == RecordType::kPtr; };
  CachingResolver cache(&upstream, CacheOptions{}, hooks);
  Lookups lookups(&cache, nullptr, 7);
  upstream.table[{"9.2.0.192.in-addr.arpa", RecordType::kPtr}] = PtrAnswer({"h.example.org"});
  // Two callers at once share one upstream query.
  auto f1 = cache.Lookup("9.2.0.192.in-addr.arpa", RecordType::kPtr);
  auto f2 = cache.Lookup("9.2.0.192.in-addr.arpa", RecordType::kPtr);
  CHECK(upstream.queries == 1);
  CHECK(coalesced == 1);
  upstream.Flush();
  CHECK(f1.get().ptr == f2.get().ptr);
  // Then from the cache.
  upstream.answer_inline = true;
  auto r = lookups.ResolvePtr("9.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5));
  CHECK(r.names(0) == "h.example.org");
  CHECK(upstream.queries == 1);
  CHECK(hits == 1);
  // NXDOMAIN (the fake's default) is cached with the default negative TTL.
  auto n1 = lookups.ResolvePtr("8.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5));
  auto n2 = lookups.ResolvePtr("8.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5));
  CHECK(n1.outcome() == v1::DNS_OUTCOME_NXDOMAIN);
  CHECK(n2.outcome() == v1::DNS_OUTCOME_NXDOMAIN);
  CHECK(upstream.queries == 2);
  // A temporary failure is not cached.
  upstream.SetOutcome("7.2.0.192.in-addr.arpa", RecordType::kPtr, Outcome::kTempFail);
  CHECK(lookups.ResolvePtr("7.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5)).outcome() ==
        v1::DNS_OUTCOME_TEMPORARY_FAILURE);
  lookups.ResolvePtr("7.2.0.192.in-addr.arpa", absl::Now() + absl::Seconds(5));
  CHECK(upstream.queries == 4);
}

}  // namespace
}  // namespace mail::dns_resolver
