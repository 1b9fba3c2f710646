// FakeDnsClient: canned DNS answers for unit tests. Names not set up answer
// NXDOMAIN (or the default set with SetDefaultOutcome); SetError makes every call
// fail like an unreachable dns-resolver. Thread-safe; header-only.
#ifndef MAILSUITE_TESTS_FAKES_FAKE_DNS_CLIENT_H_
#define MAILSUITE_TESTS_FAKES_FAKE_DNS_CLIENT_H_

#include <cctype>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/libs/clients/dns_client.h"

namespace mail::fakes {

class FakeDnsClient : public clients::DnsClient {
 public:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  void SetMx(const std::string& domain, v1::ResolveMxResponse response) {
    std::lock_guard<std::mutex> l(mu_);
    mx_[Lower(domain)] = std::move(response);
  }
  // Shorthand: one MX host with one address.
  void AddMx(const std::string& domain, const std::string& host, const std::string& ip,
             uint32_t preference = 10) {
    std::lock_guard<std::mutex> l(mu_);
    auto& r = mx_[Lower(domain)];
    r.set_outcome(v1::DNS_OUTCOME_FOUND);
    auto* h = r.add_hosts();
    h->set_name(host);
    h->set_preference(preference);
    h->add_addresses(ip);
    h->set_address_outcome(v1::DNS_OUTCOME_FOUND);
    addresses_[Lower(host)].push_back(ip);
  }
  void AddAddress(const std::string& name, const std::string& ip) {
    std::lock_guard<std::mutex> l(mu_);
    addresses_[Lower(name)].push_back(ip);
  }
  // A PTR record of `ip` (reverse lookups); without one, ResolvePtr answers the
  // default outcome.
  void AddPtr(const std::string& ip, const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    ptr_[ip].push_back(Lower(name));
  }
  void SetDefaultOutcome(v1::DnsOutcome outcome) {
    std::lock_guard<std::mutex> l(mu_);
    default_outcome_ = outcome;
  }
  void SetError(absl::Status status) {
    std::lock_guard<std::mutex> l(mu_);
    error_ = std::move(status);
  }
  int calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

  asio::awaitable<absl::StatusOr<v1::ResolveMxResponse>> ResolveMx(
      const v1::ResolveMxRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    if (!error_.ok()) co_return error_;
    auto it = mx_.find(Lower(request.domain()));
    if (it != mx_.end()) co_return it->second;
    v1::ResolveMxResponse resp;
    auto a = addresses_.find(Lower(request.domain()));
    if (a != addresses_.end()) {
      // RFC 5321 §5.1: no MX but an address record makes the domain its own MX.
      resp.set_outcome(v1::DNS_OUTCOME_FOUND);
      resp.set_implicit_mx(true);
      auto* h = resp.add_hosts();
      h->set_name(request.domain());
      for (const auto& ip : a->second) h->add_addresses(ip);
      h->set_address_outcome(v1::DNS_OUTCOME_FOUND);
      co_return resp;
    }
    resp.set_outcome(default_outcome_);
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::ResolveAddressResponse>> ResolveAddress(
      const v1::ResolveAddressRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    if (!error_.ok()) co_return error_;
    v1::ResolveAddressResponse resp;
    auto it = addresses_.find(Lower(request.name()));
    if (it == addresses_.end()) {
      resp.set_outcome(default_outcome_);
      co_return resp;
    }
    resp.set_outcome(v1::DNS_OUTCOME_FOUND);
    for (const auto& ip : it->second) resp.add_addresses(ip);
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::ResolvePtrResponse>> ResolvePtr(
      const v1::ResolvePtrRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    if (!error_.ok()) co_return error_;
    v1::ResolvePtrResponse resp;
    auto it = ptr_.find(request.address());
    if (it == ptr_.end()) {
      resp.set_outcome(default_outcome_);
      co_return resp;
    }
    resp.set_outcome(v1::DNS_OUTCOME_FOUND);
    for (const auto& name : it->second) resp.add_names(name);
    co_return resp;
  }

 private:
  mutable std::mutex mu_;
  absl::Status error_;
  int calls_ = 0;
  v1::DnsOutcome default_outcome_ = v1::DNS_OUTCOME_NXDOMAIN;
  std::map<std::string, v1::ResolveMxResponse> mx_;
  std::map<std::string, std::vector<std::string>> addresses_;
  std::map<std::string, std::vector<std::string>> ptr_;
};

}  // namespace mail::fakes

#endif  // MAILSUITE_TESTS_FAKES_FAKE_DNS_CLIENT_H_
