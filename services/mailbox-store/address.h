// Mail address and domain names as mailbox-store stores them: domains in lower case
// without a trailing dot, local parts as given (compared case-insensitively in SQL).
// Pure functions, no I/O; safe from any thread.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_ADDRESS_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"

namespace mail::mailbox_store {

struct Address {
  std::string local;   // "" for a catch-all "@domain"
  std::string domain;  // lower case
  std::string ToString() const { return local + "@" + domain; }
};

// "Example.TEST." → "example.test". LDH labels of 1-63 octets, 253 in all; IDNs must
// be given in their A-label (xn--) form. INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> NormalizeDomain(const std::string& text);

// A dot-atom local part (RFC 5322 §3.4.1, UTF-8 allowed per RFC 6531) of at most 64
// octets, "@", and a domain. For accounts and alias addresses; quoted local parts are
// not accepted.
absl::StatusOr<Address> ParseAddress(const std::string& text);

// ParseAddress, or "@domain" (the catch-all) with an empty local part.
absl::StatusOr<Address> ParseAliasAddress(const std::string& text);

// Lenient split for lookups of envelope addresses: anything non-empty (≤ 64 octets,
// no control characters) before the last "@", and a valid domain.
absl::StatusOr<Address> SplitEnvelopeAddress(const std::string& text);

// "bob+lists" → "bob" (the RFC 5233 subaddress delimiter), "" when there is no tag.
std::string StripSubaddress(const std::string& local);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_ADDRESS_H_
