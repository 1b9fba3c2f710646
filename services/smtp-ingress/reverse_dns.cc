// Forward-confirmed reverse DNS of the client; see reverse_dns.h.
#include "services/smtp-ingress/reverse_dns.h"

#include <asio/ip/address.hpp>

namespace mail::smtp_ingress {
namespace {

bool ParseIp(std::string_view text, asio::ip::address* out) {
  std::error_code ec;
  asio::ip::address a = asio::ip::make_address(std::string(text), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  *out = a;
  return true;
}

}  // namespace

bool SameIp(std::string_view a, std::string_view b) {
  asio::ip::address x, y;
  return ParseIp(a, &x) && ParseIp(b, &y) && x == y;
}

asio::awaitable<ReverseDnsResult> LookUpClientName(clients::DnsClient& dns, std::string ip,
                                                   std::chrono::milliseconds budget) {
  const auto start = std::chrono::steady_clock::now();
  ReverseDnsResult out;
  v1::ResolvePtrRequest ptr_request;
  ptr_request.set_address(ip);
  absl::StatusOr<v1::ResolvePtrResponse> ptr = co_await dns.ResolvePtr(ptr_request);
  if (!ptr.ok() || ptr->outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE ||
      ptr->outcome() == v1::DNS_OUTCOME_UNSPECIFIED) {
    out.result = "failed";
    co_return out;
  }
  if (ptr->outcome() != v1::DNS_OUTCOME_FOUND || ptr->names_size() == 0) {
    out.result = "no_ptr";
    co_return out;
  }
  out.result = "mismatch";
  bool temp_failure = false;
  for (int i = 0; i < ptr->names_size() && i < kMaxPtrNamesChecked; ++i) {
    if (i > 0 && std::chrono::steady_clock::now() - start >= budget) break;
    v1::ResolveAddressRequest forward;
    forward.set_name(ptr->names(i));
    absl::StatusOr<v1::ResolveAddressResponse> addresses = co_await dns.ResolveAddress(forward);
    if (!addresses.ok() || addresses->outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE) {
      temp_failure = true;
      continue;
    }
    for (const std::string& a : addresses->addresses()) {
      if (SameIp(a, ip)) {
        out.name = ptr->names(i);
        out.result = "verified";
        co_return out;
      }
    }
  }
  // A name that could not be checked is not trusted either, but that is the DNS's
  // fault rather than the client's.
  if (temp_failure) out.result = "failed";
  co_return out;
}

}  // namespace mail::smtp_ingress
