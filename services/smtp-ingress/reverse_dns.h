// The client's verified host name for the Received: header (RFC 5321 §4.4): a PTR
// lookup of its address through dns-resolver, trusted only when forward-confirmed (one
// of the PTR names has an A/AAAA record with that same address), as Postfix does.
// The lookup is started once per connection at connect and runs beside the session on
// the session's strand; ReverseDnsState is shared between the two and touched only on
// that strand.
#ifndef MAILSUITE_SERVICES_SMTP_INGRESS_REVERSE_DNS_H_
#define MAILSUITE_SERVICES_SMTP_INGRESS_REVERSE_DNS_H_

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "services/libs/clients/dns_client.h"

namespace mail::smtp_ingress {

// At most this many PTR names are forward-checked (one is the norm).
inline constexpr int kMaxPtrNamesChecked = 3;

struct ReverseDnsResult {
  // The forward-confirmed name; empty when there is none.
  std::string name;
  // "verified", "mismatch" (PTR names, none resolving back to the address), "no_ptr"
  // (NXDOMAIN or no PTR record), "failed" (DNS temporary failure, dns-resolver
  // unreachable or too slow): the metric label.
  std::string result;
};

// True when the two textual IP addresses are the same address (an IPv4-mapped IPv6
// address equals its IPv4 form; "::1" equals "0:0::1").
bool SameIp(std::string_view a, std::string_view b);

// PTR of `ip`, then A/AAAA of up to kMaxPtrNamesChecked names in order until one
// includes `ip`; stops checking names once `budget` has passed. Never fails: DNS errors
// give an unverified result. `dns` must outlive the call.
asio::awaitable<ReverseDnsResult> LookUpClientName(clients::DnsClient& dns, std::string ip,
                                                   std::chrono::milliseconds budget);

// What the session and its lookup share.
struct ReverseDnsState {
  explicit ReverseDnsState(const asio::any_io_executor& executor) : wake(executor) {}
  bool done = false;
  ReverseDnsResult result;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // A waiter sleeps on it with its deadline; the lookup cancels it when done.
  asio::steady_timer wake;
};

}  // namespace mail::smtp_ingress

#endif  // MAILSUITE_SERVICES_SMTP_INGRESS_REVERSE_DNS_H_
