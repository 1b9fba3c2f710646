// Password hashing for accounts: new hashes are Argon2id (libsodium crypto_pwhash_str);
// crypt(3) hashes imported from Dovecot or Postfix ({SHA512-CRYPT}, {BLF-CRYPT}, ...)
// are verified and reported as needing a rehash. Thread-safe after InitPasswordHashing().
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_PASSWORD_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_PASSWORD_H_

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

// Calls sodium_init(); once from main() before any thread hashes.
absl::Status InitPasswordHashing();

// A new Argon2id hash with libsodium's INTERACTIVE limits (about 0.1 s, 64 MiB).
absl::StatusOr<std::string> HashPassword(const std::string& password);

struct VerifyResult {
  bool ok = false;
  // The password was right but the hash is not Argon2id with today's limits.
  bool needs_rehash = false;
};

// Verifies in constant time with respect to the password.
VerifyResult VerifyPassword(const std::string& stored, const std::string& password);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_PASSWORD_H_
