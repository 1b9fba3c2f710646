// Coalesced ListMessages for the sessions of this process. When a change reaches
// 10,000 IDLE sessions of one mailbox, each would re-read it with the same request
// (same mailbox, same modseq, same known UIDs); here identical requests share one call.
// A request never shares a call that started before it was made: it waits for the
// next one, which starts when the running one ends. So a session always sees every
// change committed before it asked (its own APPEND, the change it was notified of).
// Thread-safe: sessions on any strand; each resumes on its own executor.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_READS_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_READS_H_

#include <asio/awaitable.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/libs/clients/mailbox_client.h"

namespace mail::imap_access {

class SharedReads {
 public:
  explicit SharedReads(clients::MailboxClient& mailbox) : mailbox_(mailbox) {}

  // mailbox.ListMessages(request), possibly answered by a call made for an identical
  // request. \Recent stays exclusive (RFC 3501 §2.3.2): with claim_recent, only the
  // session whose call claimed the messages sees them as recent; the others get the
  // answer as it reads after the claim.
  asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> List(
      const v1::ListMessagesRequest& request);

  // Calls made and requests answered so far (tests, metrics).
  int64_t calls() const;
  int64_t requests() const;

 private:
  using Result = absl::StatusOr<v1::ListMessagesResponse>;
  struct Waiter;
  // Per distinct request: a call is running; `current` get its answer, `next` wait for
  // the following call, which the first of them makes.
  struct Flight {
    std::vector<std::shared_ptr<Waiter>> current;
    std::vector<std::shared_ptr<Waiter>> next;
  };

  // Hands `result` to the waiters of the call that made it and starts the next call.
  void Finish(const std::string& key, const std::shared_ptr<const Result>& result);

  clients::MailboxClient& mailbox_;
  mutable absl::Mutex mu_;
  std::map<std::string, Flight> flights_ ABSL_GUARDED_BY(mu_);
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t requests_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_READS_H_
