// One WatchMailbox stream per (account, mailbox) for all the IDLE sessions of this
// process, instead of one per session: each stream costs ~26 KiB here and ~20 KiB in
// mailbox-store, which 10,000 IDLE connections multiply (tools/bench/imap --idle).
// Watch() hands out handles; the stream opens with the first and is cancelled with
// the last. Thread-safe: sessions on any strand, callbacks on gRPC threads.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_WATCHES_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_WATCHES_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "services/libs/clients/mailbox_client.h"

namespace mail::imap_access {

class SharedWatches {
 public:
  explicit SharedWatches(clients::MailboxClient& mailbox) : mailbox_(mailbox) {}

  // Like MailboxClient::WatchMailbox: `on_change` runs (quickly, on any thread) for every
  // change of the mailbox, and once as soon as the stream is live, even when this
  // handle joins a stream that went live earlier, so a change just before the join is
  // not missed. Null when the client cannot watch.
  std::unique_ptr<clients::MailboxWatch> Watch(const std::string& account,
                                               const std::string& mailbox,
                                               std::function<void()> on_change);

  // Streams open now (tests, metrics).
  int streams() const;

 private:
  struct Stream;
  class Handle;
  using Key = std::pair<std::string, std::string>;

  void Leave(const std::shared_ptr<Stream>& stream, int id);

  clients::MailboxClient& mailbox_;
  mutable absl::Mutex mu_;
  std::map<Key, std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_WATCHES_H_
