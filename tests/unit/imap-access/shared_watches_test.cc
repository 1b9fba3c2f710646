// SharedWatches: IDLE sessions of one process share one WatchMailbox stream per mailbox.
#include "services/imap-access/shared_watches.h"

#include <catch2/catch.hpp>
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

TEST_CASE("shared_watches: sessions on one mailbox share one stream and all hear changes") {
  WatchingStore store;
  SharedWatches watches(store);
  int a = 0, b = 0, c = 0;
  auto wa = watches.Watch("alice@example.test", "INBOX", [&] { ++a; });
  auto wb = watches.Watch("alice@example.test", "INBOX", [&] { ++b; });
  REQUIRE(store.calls.size() == 1);
  CHECK(watches.streams() == 1);
  store.calls[0]->on_change();  // the stream is live
  store.calls[0]->on_change();  // a change
  CHECK(a == 2);
  CHECK(b == 2);
  // A session joining a live stream hears once at once, as a new stream would say
  // "live", so a change just before it joined is not missed.
  auto wc = watches.Watch("alice@example.test", "INBOX", [&] { ++c; });
  CHECK(c == 1);
  CHECK(store.calls.size() == 1);
  // Another mailbox gets its own stream.
  auto wd = watches.Watch("alice@example.test", "Sent", [] {});
  CHECK(store.calls.size() == 2);
  CHECK(watches.streams() == 2);
}

TEST_CASE("shared_watches: the stream is cancelled with its last session and reopened") {
  WatchingStore store;
  SharedWatches watches(store);
  auto wa = watches.Watch("bob@example.test", "INBOX", [] {});
  auto wb = watches.Watch("bob@example.test", "INBOX", [] {});
  wa.reset();
  CHECK_FALSE(*store.calls[0]->cancelled);
  wb.reset();
  CHECK(*store.calls[0]->cancelled);
  CHECK(watches.streams() == 0);
  auto wc = watches.Watch("bob@example.test", "INBOX", [] {});
  CHECK(store.calls.size() == 2);
}

TEST_CASE("shared_watches: an ended stream is replaced for new sessions only") {
  WatchingStore store;
  SharedWatches watches(store);
  auto old_session = watches.Watch("carol@example.test", "INBOX", [] {});
  *store.calls[0]->ended = true;  // mailbox-store went away
  CHECK(old_session->ended());    // this session falls back to polling
  int heard = 0;
  auto new_session = watches.Watch("carol@example.test", "INBOX", [&] { ++heard; });
  REQUIRE(store.calls.size() == 2);
  CHECK_FALSE(new_session->ended());
  store.calls[1]->on_change();
  CHECK(heard == 1);
  old_session.reset();  // must not drop the new stream
  CHECK(watches.streams() == 1);
  CHECK_FALSE(*store.calls[1]->cancelled);
}

}  // namespace
}  // namespace mail::imap_access
