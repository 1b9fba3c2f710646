// The vocabulary of dns-resolver: record types, the outcome a caller can act on, and one
// answer (records plus how long it may be cached). Plain values, no I/O; the Resolver
// interface is implemented over c-ares (ares_resolver.h) and by fakes in tests.
#ifndef MAILSUITE_SERVICES_DNS_RESOLVER_ANSWER_H_
#define MAILSUITE_SERVICES_DNS_RESOLVER_ANSWER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace mail::dns_resolver {

enum class RecordType { kA, kAaaa, kMx, kTxt, kPtr };

// The wire type number (RFC 1035 §3.2.2, RFC 3596).
int WireType(RecordType type);
// "A", "AAAA", "MX", "TXT", "PTR" (metric labels, logs).
std::string_view RecordTypeName(RecordType type);

enum class Outcome {
  kFound,     // at least one record of the asked type
  kNxDomain,  // RCODE 3: the name does not exist
  kNoData,    // the name exists but has no record of this type (RFC 2308 §2.2)
  kTempFail,  // SERVFAIL, REFUSED, timeout, malformed or no answer: try again later
};

// "found", "nxdomain", "no_data", "temporary_failure" (metric labels, logs).
std::string_view OutcomeName(Outcome outcome);

struct MxRecord {
  uint16_t preference = 0;
  // Lower case, no trailing dot; "" is the root name "." (a null MX, RFC 7505).
  std::string exchange;
};

struct Answer {
  Outcome outcome = Outcome::kTempFail;
  std::vector<std::string> addresses;  // A / AAAA in text form
  std::vector<MxRecord> mx;
  std::vector<std::string> txt;  // each TXT record with its strings joined
  // PTR targets as parsed (lower case, no trailing dot); not validated as host names.
  std::vector<std::string> ptr;
  // Positive answers: the smallest TTL of the records used (CNAMEs included).
  // Negative answers: min(SOA TTL, SOA MINIMUM) when the response carried the SOA
  // (RFC 2308 §5); nullopt when it did not, so the cache applies its default.
  std::optional<absl::Duration> ttl;
  // For logs and DSNs ("SERVFAIL from upstream", "timeout").
  std::string detail;

  static Answer TempFail(std::string detail) {
    Answer a;
    a.outcome = Outcome::kTempFail;
    a.detail = std::move(detail);
    return a;
  }
};

// Asynchronous DNS lookups. Query() may be called from any thread; `done` is called
// exactly once, from the resolver's own thread (or inline, by fakes).
class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual void Query(const std::string& name, RecordType type,
                     std::function<void(Answer)> done) = 0;
};

// Lower-cases `name` and strips one trailing dot. Returns false when it is not a
// usable DNS name: empty, longer than 253 octets, an empty or >63-octet label, or a
// byte outside printable ASCII (underscores are allowed: "_dmarc.example.org").
bool NormalizeName(std::string_view name, std::string* out);

// The reverse-lookup name of an IP address in text form: "1.2.0.192.in-addr.arpa"
// (RFC 1035 §3.5) or the 32 nibbles of an IPv6 address under "ip6.arpa" (RFC 3596
// §2.5). An IPv4-mapped IPv6 address (::ffff:192.0.2.1) gives the IPv4 name, as the
// peer is really an IPv4 client of a dual-stack socket. False when `address` is not
// an IP address.
bool ReverseName(std::string_view address, std::string* out);

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_SERVICES_DNS_RESOLVER_ANSWER_H_
