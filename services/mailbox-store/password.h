// Password hashing for accounts: new hashes are Argon2id (libsodium crypto_pwhash_str);
// crypt(3) hashes imported from Dovecot or Postfix ({SHA512-CRYPT}, {BLF-CRYPT}, ...)
// are verified and reported as needing a rehash. Thread-safe after InitPasswordHashing().
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_PASSWORD_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_PASSWORD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mail::mailbox_store {

// Longer passwords are refused outright (Argon2 would hash them, crypt may truncate).
inline constexpr size_t kMaxPasswordLength = 1024;

enum class HashScheme {
  kArgon2,       // $argon2id$ / $argon2i$, optionally "{ARGON2ID}"-prefixed
  kSha512Crypt,  // $6$, "{SHA512-CRYPT}"
  kSha256Crypt,  // $5$, "{SHA256-CRYPT}"
  kBlfCrypt,     // $2a$ $2b$ $2y$, "{BLF-CRYPT}"
  kMd5Crypt,     // $1$, "{MD5-CRYPT}"
  kUnknown,      // plain text, {PLAIN}, {SSHA} ...: never accepted
};

struct StoredHash {
  HashScheme scheme = HashScheme::kUnknown;
  std::string hash;  // without the Dovecot-style "{SCHEME}" prefix
};

// Classifies a stored password hash. Pure; no crypto.
StoredHash ParseStoredHash(const std::string& stored);
const char* HashSchemeName(HashScheme scheme);

// Argon2id cost of new hashes: passes over memory and memory in KiB. The default is
// libsodium's INTERACTIVE (2 passes, 64 MiB, about 0.1 s here).
struct HashCost {
  uint64_t ops = 2;
  uint64_t memory_kib = 64 * 1024;
};

// Whether libsodium takes `cost` (at least 1 pass and 8 KiB, at most 4 GiB); the
// message says what is wrong.
absl::Status CheckHashCost(const HashCost& cost);

// Calls sodium_init() and sets the cost of new hashes; once from main() before any
// thread hashes.
absl::Status InitPasswordHashing(const HashCost& cost = HashCost());

// A new Argon2id hash at the cost set by InitPasswordHashing.
absl::StatusOr<std::string> HashPassword(const std::string& password);

struct VerifyResult {
  bool ok = false;
  // The password was right but the hash is not Argon2id at today's cost (a weaker or
  // stronger one: --argon2_* changed), so the login stores a new one.
  bool needs_rehash = false;
};

// Verifies in constant time with respect to the password.
VerifyResult VerifyPassword(const std::string& stored, const std::string& password);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_PASSWORD_H_
