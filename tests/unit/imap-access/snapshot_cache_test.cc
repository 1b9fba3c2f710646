// SnapshotCache: mailbox snapshots kept for delta SELECTs, bounded, never going back.
#include "services/imap-access/snapshot_cache.h"

#include <catch2/catch.hpp>

namespace mail::imap_access {
namespace {

SelectedMailbox Box(uint32_t uidvalidity, uint64_t modseq, uint32_t messages) {
  SelectedMailbox box;
  box.uidvalidity = uidvalidity;
  box.highest_modseq = modseq;
  for (uint32_t uid = 1; uid <= messages; ++uid) {
    v1::MessageInfo info;
    info.set_uid(uid);
    box.messages.Mutable().emplace_back(info);
  }
  box.uidnext = messages + 1;
  return box;
}

TEST_CASE("imap-access snapshot cache: keeps the latest state of each mailbox") {
  SnapshotCache cache(100);
  CHECK(cache.Get("a@x", "INBOX") == nullptr);
  cache.Put("a@x", "INBOX", Box(7, 10, 3));
  auto got = cache.Get("a@x", "INBOX");
  REQUIRE(got != nullptr);
  CHECK(got->count() == 3);
  CHECK(got->highest_modseq == 10);
  cache.Put("a@x", "INBOX", Box(7, 9, 2));  // an older state: ignored
  CHECK(cache.Get("a@x", "INBOX")->count() == 3);
  cache.Put("a@x", "INBOX", Box(7, 12, 4));
  CHECK(cache.Get("a@x", "INBOX")->count() == 4);
  cache.Put("a@x", "INBOX", Box(8, 1, 1));  // another mailbox of that name
  CHECK(cache.Get("a@x", "INBOX")->uidvalidity == 8);
  CHECK(cache.Get("b@x", "INBOX") == nullptr);  // per account
  cache.Put("a@x", "Sent", Box(9, 0, 5));       // no modseq (older store): not kept
  CHECK(cache.Get("a@x", "Sent") == nullptr);
  CHECK(cache.messages() == 1);
}

TEST_CASE("imap-access snapshot cache: least recently used go first past the bound") {
  SnapshotCache cache(10);
  cache.Put("a@x", "A", Box(1, 2, 4));
  cache.Put("a@x", "B", Box(1, 2, 4));
  CHECK(cache.Get("a@x", "A") != nullptr);  // A used last
  cache.Put("a@x", "C", Box(1, 2, 4));      // 12 > 10: B goes
  CHECK(cache.Get("a@x", "B") == nullptr);
  CHECK(cache.Get("a@x", "A") != nullptr);
  CHECK(cache.Get("a@x", "C") != nullptr);
  CHECK(cache.messages() == 8);
  cache.Put("a@x", "Huge", Box(1, 2, 11));  // larger than the whole cache
  CHECK(cache.Get("a@x", "Huge") == nullptr);
  CHECK(cache.messages() == 8);
}

}  // namespace
}  // namespace mail::imap_access
