// Parses a DNS response message (RFC 1035 §4) into an Answer: the records of the asked
// type at the end of the CNAME chain from the query name, their TTL, and for negative
// answers the RFC 2308 negative-caching TTL from the authority section's SOA. Pure and
// thread-safe; the input is untrusted network data and is bounds-checked throughout.
#ifndef MAILSUITE_SERVICES_DNS_RESOLVER_DNS_MESSAGE_H_
#define MAILSUITE_SERVICES_DNS_RESOLVER_DNS_MESSAGE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/dns-resolver/answer.h"

namespace mail::dns_resolver {

// `qname` is the normalized name that was asked (NormalizeName). Returns
// INVALID_ARGUMENT for a malformed message. RCODEs other than NOERROR and NXDOMAIN
// give kTempFail. A NOERROR response without records of `type` at the end of the
// chain is kNoData.
absl::StatusOr<Answer> ParseResponse(std::string_view message, std::string_view qname,
                                     RecordType type);

// The longest CNAME chain followed inside one response.
inline constexpr int kMaxCnameChain = 8;

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_SERVICES_DNS_RESOLVER_DNS_MESSAGE_H_
