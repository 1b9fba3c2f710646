// MX, address, TXT and PTR answers over the cache; see lookups.h.
#include "services/dns-resolver/lookups.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace mail::dns_resolver {

bool IsNullMx(const std::vector<MxRecord>& records) {
  return records.size() == 1 && records[0].exchange.empty();
}

std::vector<MxRecord> SortMx(std::vector<MxRecord> records, std::mt19937& rng) {
  records.erase(std::remove_if(records.begin(), records.end(),
                               [](const MxRecord& r) { return r.exchange.empty(); }),
                records.end());
  // Shuffle first, then a stable sort by preference keeps equal ones in random order.
  std::shuffle(records.begin(), records.end(), rng);
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  std::set<std::string> seen;
  std::vector<MxRecord> out;
  for (auto& r : records) {
    // The same host listed twice is tried once, at its best preference.
    if (!seen.insert(r.exchange).second) continue;
    out.push_back(std::move(r));
    if (out.size() == kMaxMxHosts) break;
  }
  return out;
}

v1::DnsOutcome ToProto(Outcome outcome) {
  switch (outcome) {
    case Outcome::kFound:
      return v1::DNS_OUTCOME_FOUND;
    case Outcome::kNxDomain:
      return v1::DNS_OUTCOME_NXDOMAIN;
    case Outcome::kNoData:
      return v1::DNS_OUTCOME_NO_DATA;
    case Outcome::kTempFail:
      return v1::DNS_OUTCOME_TEMPORARY_FAILURE;
  }
  return v1::DNS_OUTCOME_UNSPECIFIED;
}

Lookups::Lookups(CachingResolver* cache, Observer observer, uint32_t seed)
    : cache_(cache), observer_(std::move(observer)), rng_(seed) {}

Answer Lookups::Wait(const std::shared_future<Answer>& f, RecordType type, absl::Time deadline) {
  Answer answer = CachingResolver::Await(f, deadline);
  if (observer_) observer_(type, answer.outcome);
  return answer;
}

Lookups::Pending Lookups::StartAddress(const std::string& name) {
  return Pending{cache_->Lookup(name, RecordType::kA), cache_->Lookup(name, RecordType::kAaaa)};
}

Outcome Lookups::FinishAddress(const std::string& name, Pending& pending, absl::Time deadline,
                               v1::MxHost* host, std::string* detail) {
  Answer a = Wait(pending.a, RecordType::kA, deadline);
  Answer aaaa = Wait(pending.aaaa, RecordType::kAaaa, deadline);
  // IPv4 first: many hosts that send mail have no IPv6 route, and the relay tries the
  // addresses in this order (decision recorded in README.md).
  std::set<std::string> seen;
  for (const Answer* ans : {&a, &aaaa}) {
    for (const auto& address : ans->addresses) {
      if (static_cast<size_t>(host->addresses_size()) == kMaxAddressesPerHost) break;
      if (seen.insert(address).second) host->add_addresses(address);
    }
  }
  Outcome outcome;
  if (host->addresses_size() > 0) {
    outcome = Outcome::kFound;
  } else if (a.outcome == Outcome::kTempFail || aaaa.outcome == Outcome::kTempFail) {
    outcome = Outcome::kTempFail;
    *detail = a.outcome == Outcome::kTempFail ? a.detail : aaaa.detail;
  } else if (a.outcome == Outcome::kNxDomain || aaaa.outcome == Outcome::kNxDomain) {
    outcome = Outcome::kNxDomain;
    *detail = absl::StrCat(name, ": no such host (NXDOMAIN)");
  } else {
    outcome = Outcome::kNoData;
    *detail = absl::StrCat(name, ": no A or AAAA record");
  }
  host->set_address_outcome(ToProto(outcome));
  return outcome;
}

v1::ResolveMxResponse Lookups::ResolveMx(const std::string& domain, absl::Time deadline) {
  v1::ResolveMxResponse response;
  Answer mx = Wait(cache_->Lookup(domain, RecordType::kMx), RecordType::kMx, deadline);
  switch (mx.outcome) {
    case Outcome::kTempFail:
    case Outcome::kNxDomain:
      // NXDOMAIN stays NXDOMAIN: implicit MX applies only to a name that exists.
      response.set_outcome(ToProto(mx.outcome));
      response.set_detail(mx.detail);
      return response;
    case Outcome::kNoData: {
      // RFC 5321 §5.1: no MX records, so the domain itself is the implicit MX,
      // with preference 0.
      response.set_implicit_mx(true);
      v1::MxHost host;
      host.set_name(domain);
      host.set_preference(0);
      Pending pending = StartAddress(domain);
      std::string detail;
      Outcome outcome = FinishAddress(domain, pending, deadline, &host, &detail);
      response.set_outcome(ToProto(outcome));
      if (outcome == Outcome::kFound) {
        *response.add_hosts() = std::move(host);
      } else {
        response.set_detail(outcome == Outcome::kTempFail
                                ? detail
                                : absl::StrCat(domain, ": no MX, A or AAAA record"));
      }
      return response;
    }
    case Outcome::kFound:
      break;
  }
  response.set_outcome(v1::DNS_OUTCOME_FOUND);
  std::vector<MxRecord> sorted;
  {
    absl::MutexLock lock(&rng_mu_);
    sorted = SortMx(mx.mx, rng_);
  }
  if (IsNullMx(mx.mx) || sorted.empty()) {
    response.set_null_mx(true);
    response.set_detail(
        absl::StrCat(domain, " publishes a null MX: it accepts no mail (RFC 7505)"));
    return response;
  }
  // Every host's A and AAAA lookups go out at once, then are collected in order.
  std::vector<std::pair<v1::MxHost, std::optional<Pending>>> hosts;
  for (const MxRecord& r : sorted) {
    v1::MxHost host;
    host.set_name(r.exchange);
    host.set_preference(r.preference);
    std::string name;
    if (NormalizeName(r.exchange, &name)) {
      hosts.emplace_back(std::move(host), StartAddress(name));
    } else {
      host.set_address_outcome(v1::DNS_OUTCOME_NXDOMAIN);
      hosts.emplace_back(std::move(host), std::nullopt);
    }
  }
  for (auto& [host, pending] : hosts) {
    if (pending.has_value()) {
      std::string detail;
      FinishAddress(host.name(), *pending, deadline, &host, &detail);
    }
    *response.add_hosts() = std::move(host);
  }
  return response;
}

v1::ResolveAddressResponse Lookups::ResolveAddress(const std::string& name, absl::Time deadline) {
  v1::ResolveAddressResponse response;
  v1::MxHost host;
  Pending pending = StartAddress(name);
  std::string detail;
  Outcome outcome = FinishAddress(name, pending, deadline, &host, &detail);
  response.set_outcome(ToProto(outcome));
  for (auto& a : *host.mutable_addresses()) response.add_addresses(std::move(a));
  response.set_detail(detail);
  return response;
}

v1::ResolveTxtResponse Lookups::ResolveTxt(const std::string& name, absl::Time deadline) {
  v1::ResolveTxtResponse response;
  Answer txt = Wait(cache_->Lookup(name, RecordType::kTxt), RecordType::kTxt, deadline);
  response.set_outcome(ToProto(txt.outcome));
  for (auto& record : txt.txt) response.add_records(std::move(record));
  response.set_detail(txt.detail);
  return response;
}

v1::ResolvePtrResponse Lookups::ResolvePtr(const std::string& reverse_name, absl::Time deadline) {
  v1::ResolvePtrResponse response;
  response.set_reverse_name(reverse_name);
  Answer ptr = Wait(cache_->Lookup(reverse_name, RecordType::kPtr), RecordType::kPtr, deadline);
  std::set<std::string> seen;
  for (const std::string& target : ptr.ptr) {
    std::string name;
    if (!NormalizeName(target, &name) || !seen.insert(name).second) continue;
    response.add_names(std::move(name));
    if (static_cast<size_t>(response.names_size()) == kMaxPtrNames) break;
  }
  if (ptr.outcome == Outcome::kFound && response.names_size() == 0) {
    response.set_outcome(v1::DNS_OUTCOME_NO_DATA);
    response.set_detail(absl::StrCat(reverse_name, ": no usable PTR name"));
    return response;
  }
  response.set_outcome(ToProto(ptr.outcome));
  response.set_detail(ptr.detail);
  return response;
}

}  // namespace mail::dns_resolver
