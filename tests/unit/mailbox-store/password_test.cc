// Password hash scheme detection and verification of mailbox-store.
#include "services/mailbox-store/password.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace mail::mailbox_store {
namespace {

// crypt(3) hashes of "oldpw", as exported by a Dovecot passwd-file.
constexpr char kSha512[] =
    "$6$T/r4gtymPqMxaOHe$Vl.LFXnUXPHtnagpxHSOro12nlFsrlvELVtMWQ9ow4fGNpedO0hFMKdMFM8FHKLpzBB7LjX"
    "ef62VEep.Rkf8k.";
constexpr char kBcrypt[] = "$2b$12$N3cnNCfPEGBFVFwrcckh2.1fUTuEqqtVPIeuQZ8yQh/Dx3DX.AD7q";

TEST_CASE("password: schemes are recognised with and without a Dovecot prefix") {
  CHECK(ParseStoredHash("$argon2id$v=19$m=65536,t=2,p=1$abc$def").scheme == HashScheme::kArgon2);
  CHECK(ParseStoredHash("{ARGON2ID}$argon2id$v=19$x").scheme == HashScheme::kArgon2);
  CHECK(ParseStoredHash(std::string("{SHA512-CRYPT}") + kSha512).scheme ==
        HashScheme::kSha512Crypt);
  CHECK(ParseStoredHash(std::string("{SHA512-CRYPT}") + kSha512).hash == kSha512);
  CHECK(ParseStoredHash(kSha512).scheme == HashScheme::kSha512Crypt);
  CHECK(ParseStoredHash("{BLF-CRYPT}$2y$05$abc").scheme == HashScheme::kBlfCrypt);
  CHECK(ParseStoredHash("$2a$05$abc").scheme == HashScheme::kBlfCrypt);
  CHECK(ParseStoredHash("{SHA256-CRYPT}$5$abc").scheme == HashScheme::kSha256Crypt);
  CHECK(ParseStoredHash("{CRYPT}$6$abc").scheme == HashScheme::kSha512Crypt);
}

TEST_CASE("password: unknown or inconsistent schemes are never accepted") {
  CHECK(ParseStoredHash("secret").scheme == HashScheme::kUnknown);
  CHECK(ParseStoredHash("{PLAIN}secret").scheme == HashScheme::kUnknown);
  CHECK(ParseStoredHash("{SSHA}abcdef").scheme == HashScheme::kUnknown);
  CHECK(ParseStoredHash("{BLF-CRYPT}$6$abc").scheme == HashScheme::kUnknown);
  CHECK(ParseStoredHash("").scheme == HashScheme::kUnknown);
  REQUIRE(InitPasswordHashing().ok());
  CHECK_FALSE(VerifyPassword("{PLAIN}secret", "secret").ok);
  CHECK_FALSE(VerifyPassword("secret", "secret").ok);
}

TEST_CASE("password: new hashes are Argon2id and verify without a rehash") {
  REQUIRE(InitPasswordHashing().ok());
  auto hash = HashPassword("correct horse");
  REQUIRE(hash.ok());
  CHECK(absl::StartsWith(*hash, "$argon2id$"));
  VerifyResult good = VerifyPassword(*hash, "correct horse");
  CHECK(good.ok);
  CHECK_FALSE(good.needs_rehash);
  CHECK_FALSE(VerifyPassword(*hash, "correct horsE").ok);
  CHECK_FALSE(VerifyPassword(*hash, "").ok);
  CHECK_FALSE(HashPassword("").ok());
  CHECK_FALSE(HashPassword(std::string(kMaxPasswordLength + 1, 'x')).ok());
}

TEST_CASE("password: imported crypt hashes verify and ask for a rehash") {
  REQUIRE(InitPasswordHashing().ok());
  for (std::string stored : {std::string("{SHA512-CRYPT}") + kSha512, std::string(kSha512),
                             std::string("{BLF-CRYPT}") + kBcrypt}) {
    INFO(stored);
    VerifyResult r = VerifyPassword(stored, "oldpw");
    CHECK(r.ok);
    CHECK(r.needs_rehash);
    CHECK_FALSE(VerifyPassword(stored, "oldpw2").ok);
    CHECK_FALSE(VerifyPassword(stored, std::string("oldpw\0", 6)).ok);
  }
}

TEST_CASE("password: a prefixed or weaker Argon2 hash asks for a rehash") {
  REQUIRE(InitPasswordHashing().ok());
  auto hash = HashPassword("pw");
  REQUIRE(hash.ok());
  VerifyResult r = VerifyPassword("{ARGON2ID}" + *hash, "pw");
  CHECK(r.ok);
  CHECK(r.needs_rehash);
}

TEST_CASE("password: the cost of new hashes is set at start, other costs ask for a rehash") {
  CHECK_FALSE(CheckHashCost({0, 64}).ok());
  CHECK_FALSE(CheckHashCost({1, 7}).ok());
  CHECK_FALSE(CheckHashCost({1, uint64_t{1} << 60}).ok());  // no overflow into "valid"
  CHECK_FALSE(InitPasswordHashing({1, 4}).ok());
  REQUIRE(InitPasswordHashing({1, 8}).ok());
  auto cheap = HashPassword("correct horse");
  REQUIRE(cheap.ok());
  CHECK(absl::StrContains(*cheap, "$m=8,t=1,p=1$"));
  VerifyResult r = VerifyPassword(*cheap, "correct horse");
  CHECK(r.ok);
  CHECK_FALSE(r.needs_rehash);
  REQUIRE(InitPasswordHashing().ok());  // back to the default for the other cases
  r = VerifyPassword(*cheap, "correct horse");
  CHECK(r.ok);
  CHECK(r.needs_rehash);
}

}  // namespace
}  // namespace mail::mailbox_store
