// Password hashing and verification; see password.h.
#include "services/mailbox-store/password.h"

#include <crypt.h>
#include <sodium.h>

#include <cstring>
#include <memory>

#include "absl/strings/match.h"

namespace mail::mailbox_store {
namespace {

// Set once by InitPasswordHashing before any thread hashes; read-only afterwards.
unsigned long long g_ops_limit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
size_t g_mem_limit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

struct Prefix {
  const char* text;
  HashScheme scheme;
};

// Dovecot's scheme prefixes (doc.dovecot.org "Password schemes"), then crypt(3)'s.
constexpr Prefix kBracePrefixes[] = {
    {"{ARGON2ID}", HashScheme::kArgon2},
    {"{ARGON2I}", HashScheme::kArgon2},
    {"{SHA512-CRYPT}", HashScheme::kSha512Crypt},
    {"{SHA256-CRYPT}", HashScheme::kSha256Crypt},
    {"{BLF-CRYPT}", HashScheme::kBlfCrypt},
    {"{MD5-CRYPT}", HashScheme::kMd5Crypt},
    {"{CRYPT}", HashScheme::kUnknown},  // resolved by the hash that follows
};
constexpr Prefix kDollarPrefixes[] = {
    {"$argon2id$", HashScheme::kArgon2}, {"$argon2i$", HashScheme::kArgon2},
    {"$6$", HashScheme::kSha512Crypt},   {"$5$", HashScheme::kSha256Crypt},
    {"$2a$", HashScheme::kBlfCrypt},     {"$2b$", HashScheme::kBlfCrypt},
    {"$2y$", HashScheme::kBlfCrypt},     {"$1$", HashScheme::kMd5Crypt},
};

HashScheme SchemeOfBareHash(const std::string& hash) {
  for (const Prefix& p : kDollarPrefixes) {
    if (absl::StartsWith(hash, p.text)) return p.scheme;
  }
  return HashScheme::kUnknown;
}

bool VerifyCrypt(const std::string& hash, const std::string& password) {
  if (password.find('\0') != std::string::npos) return false;
  // struct crypt_data is large (tens of KiB): keep it off the gRPC thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  // libxcrypt returns "*0"/"*1" (or NULL) for a malformed or unsupported setting.
  if (out == nullptr || out[0] == '*') return false;
  size_t len = std::strlen(out);
  return len == hash.size() && sodium_memcmp(out, hash.data(), len) == 0;
}

}  // namespace

StoredHash ParseStoredHash(const std::string& stored) {
  StoredHash result;
  result.hash = stored;
  for (const Prefix& p : kBracePrefixes) {
    if (absl::StartsWith(stored, p.text)) {
      result.hash = stored.substr(std::strlen(p.text));
      // The prefix must agree with the hash itself ({CRYPT} takes whatever follows).
      HashScheme bare = SchemeOfBareHash(result.hash);
      result.scheme =
          (p.scheme == HashScheme::kUnknown || p.scheme == bare) ? bare : HashScheme::kUnknown;
      return result;
    }
  }
  result.scheme = SchemeOfBareHash(stored);
  return result;
}

const char* HashSchemeName(HashScheme scheme) {
  switch (scheme) {
    case HashScheme::kArgon2:
      return "argon2";
    case HashScheme::kSha512Crypt:
      return "sha512-crypt";
    case HashScheme::kSha256Crypt:
      return "sha256-crypt";
    case HashScheme::kBlfCrypt:
      return "blf-crypt";
    case HashScheme::kMd5Crypt:
      return "md5-crypt";
    case HashScheme::kUnknown:
      break;
  }
  return "unknown";
}

absl::Status CheckHashCost(const HashCost& cost) {
  if (cost.ops < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      cost.ops > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return absl::InvalidArgumentError("Argon2id passes must be at least 1");
  }
  constexpr uint64_t kMaxKib = uint64_t{4} << 20;  // 4 GiB: far past any sane login
  if (cost.memory_kib > kMaxKib || cost.memory_kib * 1024 < crypto_pwhash_argon2id_MEMLIMIT_MIN) {
    return absl::InvalidArgumentError("Argon2id memory must be 8 KiB to 4 GiB");
  }
  return absl::OkStatus();
}

absl::Status InitPasswordHashing(const HashCost& cost) {
  if (absl::Status s = CheckHashCost(cost); !s.ok()) return s;
  if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
  g_ops_limit = cost.ops;
  g_mem_limit = static_cast<size_t>(cost.memory_kib * 1024);
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(const std::string& password) {
  if (password.empty()) return absl::InvalidArgumentError("password must not be empty");
  if (password.size() > kMaxPasswordLength) {
    return absl::InvalidArgumentError("password longer than 1024 octets");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), g_ops_limit, g_mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("out of memory hashing a password");
  }
  return std::string(out);
}

VerifyResult VerifyPassword(const std::string& stored, const std::string& password) {
  VerifyResult result;
  if (password.empty() || password.size() > kMaxPasswordLength) return result;
  StoredHash parsed = ParseStoredHash(stored);
  switch (parsed.scheme) {
    case HashScheme::kArgon2:
      // crypto_pwhash_str_verify reads a NUL-terminated string.
      result.ok =
          crypto_pwhash_str_verify(parsed.hash.c_str(), password.data(), password.size()) == 0;
      result.needs_rehash =
          result.ok &&
          (parsed.hash != stored || !absl::StartsWith(parsed.hash, "$argon2id$") ||
           crypto_pwhash_str_needs_rehash(parsed.hash.c_str(), g_ops_limit, g_mem_limit) != 0);
      break;
    case HashScheme::kSha512Crypt:
    case HashScheme::kSha256Crypt:
    case HashScheme::kBlfCrypt:
    case HashScheme::kMd5Crypt:
      result.ok = VerifyCrypt(parsed.hash, password);
      result.needs_rehash = result.ok;
      break;
    case HashScheme::kUnknown:
      break;
  }
  return result;
}

}  // namespace mail::mailbox_store
