// SharedWatches: IDLE sessions of one process share one WatchMailbox stream per mailbox.
#include "services/imap-access/shared_watches.h"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "tests/fakes/fake_mailbox_client.h"

namespace mail::imap_access {
namespace {

// The store side: records every WatchMailbox call; the test fires changes and ends.
class WatchingStore : public fakes::FakeMailboxClient {
 public:
  struct Call {
    std::string mailbox;
    std::function<void()> on_change;
    std::shared_ptr<bool> ended = std::make_shared<bool>(false);
    std::shared_ptr<bool> cancelled = std::make_shared<bool>(false);
  };
  class Watch : public clients::MailboxWatch {
   public:
    explicit Watch(Call* call) : ended_(call->ended), cancelled_(call->cancelled) {}
    ~Watch() override { *cancelled_ = true; }
    bool ended() const override { return *ended_; }

   private:
    std::shared_ptr<bool> ended_, cancelled_;
  };

  std::unique_ptr<clients::MailboxWatch> WatchMailbox(const v1::WatchMailboxRequest& request,
                                                      std::function<void()> on_change) override {
    calls.push_back(std::make_unique<Call>());
    calls.back()->mailbox = request.mailbox();
    calls.back()->on_change = std::move(on_change);
    return std::make_unique<Watch>(calls.back().get());
  }
  std::vector<std::unique_ptr<Call>> calls;
};

// A listener that counts the changes it hears (no state: never in step with a read).
SharedWatches::Listener L(std::function<void()> fn) {
  SharedWatches::Listener l;
  l.on_change = [fn = std::move(fn)](std::shared_ptr<const Push>, bool) { fn(); };
  return l;
}

TEST_CASE("shared_watches: sessions on one mailbox share one stream and all hear changes") {
  WatchingStore store;
  SharedWatches watches(store);
  int a = 0, b = 0, c = 0;
  auto wa = watches.Watch("alice@example.test", "INBOX", L([&] { ++a; }));
  auto wb = watches.Watch("alice@example.test", "INBOX", L([&] { ++b; }));
  REQUIRE(store.calls.size() == 1);
  CHECK(watches.streams() == 1);
  store.calls[0]->on_change();  // the stream is live
  store.calls[0]->on_change();  // a change
  CHECK(a == 2);
  CHECK(b == 2);
  // A session joining a live stream hears once at once, as a new stream would say
  // "live", so a change just before it joined is not missed.
  auto wc = watches.Watch("alice@example.test", "INBOX", L([&] { ++c; }));
  CHECK(c == 1);
  CHECK(store.calls.size() == 1);
  // Another mailbox gets its own stream.
  auto wd = watches.Watch("alice@example.test", "Sent", L([] {}));
  CHECK(store.calls.size() == 2);
  CHECK(watches.streams() == 2);
}

TEST_CASE("shared_watches: the stream is cancelled with its last session and reopened") {
  WatchingStore store;
  SharedWatches watches(store);
  auto wa = watches.Watch("bob@example.test", "INBOX", L([] {}));
  auto wb = watches.Watch("bob@example.test", "INBOX", L([] {}));
  wa.reset();
  CHECK_FALSE(*store.calls[0]->cancelled);
  wb.reset();
  CHECK(*store.calls[0]->cancelled);
  CHECK(watches.streams() == 0);
  auto wc = watches.Watch("bob@example.test", "INBOX", L([] {}));
  CHECK(store.calls.size() == 2);
}

TEST_CASE("shared_watches: an ended stream is replaced for new sessions only") {
  WatchingStore store;
  SharedWatches watches(store);
  auto old_session = watches.Watch("carol@example.test", "INBOX", L([] {}));
  *store.calls[0]->ended = true;  // mailbox-store went away
  CHECK(old_session->ended());    // this session falls back to polling
  int heard = 0;
  auto new_session = watches.Watch("carol@example.test", "INBOX", L([&] { ++heard; }));
  REQUIRE(store.calls.size() == 2);
  CHECK_FALSE(new_session->ended());
  store.calls[1]->on_change();
  CHECK(heard == 1);
  old_session.reset();  // must not drop the new stream
  CHECK(watches.streams() == 1);
  CHECK_FALSE(*store.calls[1]->cancelled);
}

// A store whose ListMessages answers a delta after 10 ms: message 4 arrived (modseq
// 11), with the recent mark at 4 before and 5 after a claim. Records the requests.
class ReadingStore : public WatchingStore {
 public:
  explicit ReadingStore(asio::io_context& io) : io_(io) {}
  asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> ListMessages(
      const v1::ListMessagesRequest& request) override {
    requests.push_back(request);
    asio::steady_timer timer(io_, std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
    if (fail) co_return absl::UnavailableError("store away");
    v1::ListMessagesResponse r;
    r.set_uidvalidity(1);
    r.set_uidnext(5);
    r.set_delta(true);
    r.set_highest_modseq(11);
    r.set_known_max_count(3);
    r.set_first_recent_uid(4);
    r.set_next_first_recent_uid(request.claim_recent() ? 5 : 4);
    r.add_messages()->set_uid(4);
    co_return r;
  }
  std::vector<v1::ListMessagesRequest> requests;
  bool fail = false;

 private:
  asio::io_context& io_;
};

struct Heard {
  std::vector<std::shared_ptr<const Push>> pushes;
  std::vector<bool> claimed;
};

SharedWatches::Listener Listening(Heard* heard, SharedWatches::Recent recent, uint64_t modseq = 10,
                                  uint32_t max_uid = 3) {
  SharedWatches::Listener l;
  l.on_change = [heard](std::shared_ptr<const Push> push, bool claimed) {
    heard->pushes.push_back(std::move(push));
    heard->claimed.push_back(claimed);
  };
  l.recent = recent;
  l.highest_modseq = modseq;
  l.max_uid = max_uid;
  return l;
}

SelectedMailbox Box(uint64_t modseq, std::vector<uint32_t> uids) {
  SelectedMailbox box;
  box.uidvalidity = 1;
  box.highest_modseq = modseq;
  for (uint32_t uid : uids) {
    v1::MessageInfo m;
    m.set_uid(uid);
    box.messages.Mutable().emplace_back(m);
  }
  return box;
}

TEST_CASE("shared_watches: a change is read once for all sessions, one claims the Recent flag") {
  asio::io_context io;
  ReadingStore store(io);
  SharedWatches watches(store, io.get_executor());
  Heard rev2, first, second, examine;
  auto w1 =
      watches.Watch("dave@example.test", "INBOX", Listening(&rev2, SharedWatches::Recent::kNone));
  auto w2 =
      watches.Watch("dave@example.test", "INBOX", Listening(&first, SharedWatches::Recent::kClaim));
  auto w3 = watches.Watch("dave@example.test", "INBOX",
                          Listening(&second, SharedWatches::Recent::kClaim));
  auto w4 = watches.Watch("dave@example.test", "INBOX",
                          Listening(&examine, SharedWatches::Recent::kShow));
  store.calls[0]->on_change();  // live
  io.run();
  io.restart();
  REQUIRE(store.requests.size() == 1);
  const v1::ListMessagesRequest& asked = store.requests[0];
  CHECK(asked.changed_since() == 10);  // the state the sessions hold
  CHECK(asked.known_max_uid() == 3);
  CHECK(asked.claim_recent());
  CHECK(asked.with_recent());
  for (Heard* h : {&rev2, &first, &second, &examine}) {
    REQUIRE(h->pushes.size() == 1);
    REQUIRE(h->pushes[0] != nullptr);
    CHECK(h->pushes[0] == rev2.pushes[0]);  // one read, one push object
  }
  CHECK(first.claimed[0]);
  CHECK_FALSE(second.claimed[0]);
  CHECK_FALSE(rev2.claimed[0]);
  CHECK_FALSE(examine.claimed[0]);
  CHECK(watches.reads() == 1);

  // The next change is read from where that one left the sessions.
  store.calls[0]->on_change();
  io.run();
  io.restart();
  REQUIRE(store.requests.size() == 2);
  CHECK(store.requests[1].changed_since() == 11);
  CHECK(store.requests[1].known_max_uid() == 4);

  // A session joining in step with the watch hears nothing now; one that is not
  // (older snapshot) is told to read for itself.
  Heard in_step, behind;
  auto w5 = watches.Watch("dave@example.test", "INBOX",
                          Listening(&in_step, SharedWatches::Recent::kNone, 11, 4));
  auto w6 = watches.Watch("dave@example.test", "INBOX",
                          Listening(&behind, SharedWatches::Recent::kNone, 9, 3));
  CHECK(in_step.pushes.empty());
  REQUIRE(behind.pushes.size() == 1);
  CHECK(behind.pushes[0] == nullptr);
}

TEST_CASE("shared_watches: a change during a read is read again, a failed read tells all") {
  asio::io_context io;
  ReadingStore store(io);
  SharedWatches watches(store, io.get_executor());
  Heard heard;
  auto w =
      watches.Watch("erin@example.test", "INBOX", Listening(&heard, SharedWatches::Recent::kNone));
  store.calls[0]->on_change();
  store.calls[0]->on_change();  // while the first read runs: it may have missed this
  store.calls[0]->on_change();  // one more read covers both
  io.run();
  io.restart();
  CHECK(store.requests.size() == 2);
  CHECK(heard.pushes.size() == 2);
  store.fail = true;
  store.calls[0]->on_change();
  io.run();
  io.restart();
  REQUIRE(heard.pushes.size() == 3);
  CHECK(heard.pushes[2] == nullptr);  // each session reads (and retries) for itself
  // A change went unread here: a session joining at the state of the last good read
  // must read for itself too, not wait for the next change.
  Heard late;
  auto w2 = watches.Watch("erin@example.test", "INBOX",
                          Listening(&late, SharedWatches::Recent::kNone, 11, 4));
  REQUIRE(late.pushes.size() == 1);
  CHECK(late.pushes[0] == nullptr);
  // The next read starts from that state again, and is trusted once it succeeds.
  store.fail = false;
  store.calls[0]->on_change();
  io.run();
  CHECK(store.requests.back().changed_since() == 11);
}

TEST_CASE("shared_watches: the Recent flag is claimed only for a session at the read's start") {
  asio::io_context io;
  ReadingStore store(io);
  SharedWatches watches(store, io.get_executor());
  Heard at_start, behind;
  // The first to join seeds the watch's state (10); the second is behind it.
  auto w1 = watches.Watch("finn@example.test", "INBOX",
                          Listening(&at_start, SharedWatches::Recent::kShow, 10, 3));
  auto w2 = watches.Watch("finn@example.test", "INBOX",
                          Listening(&behind, SharedWatches::Recent::kClaim, 9, 3));
  store.calls[0]->on_change();
  io.run();
  REQUIRE(store.requests.size() == 1);
  CHECK(store.requests[0].with_recent());
  // The only claiming session would not apply the push (it reads for itself, and its
  // own read claims): nothing is claimed here.
  CHECK_FALSE(store.requests[0].claim_recent());
  REQUIRE(behind.claimed.size() == 1);  // the push (it fits no snapshot at 9)
  CHECK(behind.pushes[0] != nullptr);
  CHECK_FALSE(behind.claimed[0]);
}

TEST_CASE("shared_watches: a push fits only the snapshots it can bring up to date") {
  v1::ListMessagesResponse r;
  r.set_uidvalidity(1);
  r.set_uidnext(6);
  r.set_delta(true);
  r.set_highest_modseq(20);
  r.add_expunged_uids(2);
  r.set_known_max_count(2);      // of 1..3, 2 is gone
  r.add_messages()->set_uid(4);  // above known_max_uid: every message there is listed
  r.add_messages()->set_uid(5);
  const Push push(/*changed_since=*/15, /*known_max_uid=*/3, r);
  CHECK(push.Fits(Box(15, {1, 2, 3})) == Push::Fit::kApply);
  CHECK(push.Fits(Box(17, {1, 2, 3, 4})) == Push::Fit::kApply);  // later, knows more
  CHECK(push.Fits(Box(17, {1, 3, 4})) == Push::Fit::kApply);     // 2 already gone
  CHECK(push.Fits(Box(20, {1, 3, 5})) == Push::Fit::kNothing);   // read it already
  CHECK(push.Fits(Box(14, {1, 2, 3})) == Push::Fit::kReadSelf);  // changes before 15
  CHECK(push.Fits(Box(15, {1, 2})) == Push::Fit::kReadSelf);     // lost 3 unexplained
  CHECK(push.Fits(Box(17, {1, 3})) == Push::Fit::kApply);        // saw 2 go itself
  // 21 was read by the box itself (above the read's known_max_uid 3) and is not listed:
  // it is gone, which only the box's own read can tell it.
  CHECK(push.Fits(Box(17, {1, 2, 3, 21})) == Push::Fit::kReadSelf);
  CHECK(push.Fits(Box(17, {1, 2, 3, 5})) == Push::Fit::kApply);  // 5 is listed
  CHECK(push.Fits(Box(15, {2, 3})) == Push::Fit::kReadSelf);     // lost 1 unexplained
  SelectedMailbox other = Box(15, {1, 2, 3});
  other.uidvalidity = 2;
  CHECK(push.Fits(other) == Push::Fit::kReadSelf);
  CHECK(push.Fits(Box(0, {1, 2, 3})) == Push::Fit::kReadSelf);
  // The change is worked out once per shared list.
  SelectedMailbox a = Box(15, {1, 2, 3});
  SelectedMailbox b = a;
  auto ca = push.ChangeFor(a.messages);
  CHECK(push.ChangeFor(b.messages) == ca);
  CHECK(push.ChangeFor(Box(15, {1, 2, 3}).messages) != ca);  // equal, not the same
  CHECK(ApplyChange(&a, *ca, 0, false) == "* 2 EXPUNGE\r\n* 4 EXISTS\r\n");
  CHECK(a.messages.SameListAs(ca->after));
}

}  // namespace
}  // namespace mail::imap_access
