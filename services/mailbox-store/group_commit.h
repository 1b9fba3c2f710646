// Group commit for deliveries: concurrent Deliver calls share one PostgreSQL
// transaction, each in its own savepoint, so N deliveries cost one WAL flush and
// deliveries to one busy mailbox stop queueing behind each other's commit for the
// account and mailbox row locks. Run() returns only after the COMMIT (or a failure),
// so "250 means committed" holds for every caller. Thread-safe; committer threads
// are owned by the object and joined by its destructor.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_GROUP_COMMIT_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_GROUP_COMMIT_H_

#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/libs/pg/pg.h"

namespace mail::mailbox_store {

class GroupCommitter {
 public:
  using Work = std::function<absl::Status(pg::Connection&)>;
  // Called after each committed transaction with the number of works it held.
  using BatchObserver = std::function<void(int)>;

  // `committers` threads, each running at most `max_batch` works per transaction
  // (capped at 60: PostgreSQL keeps 64 subtransactions per backend in shared memory,
  // more slow every snapshot down).
  GroupCommitter(pg::Pool& pool, int committers, int max_batch, BatchObserver observer);
  ~GroupCommitter();

  // Runs `work` in a transaction, maybe shared with others, and returns once that
  // transaction committed or `work` failed. `work` must have no effects outside the
  // database: it runs again when the transaction is retried (deadlock, serialization
  // failure, a stale connection). Works with the same `key` (the recipient) go to the
  // same committer, so they never wait on each other's row locks across transactions.
  absl::Status Run(std::string_view key, const Work& work);

 private:
  struct Job {
    const Work* work = nullptr;
    absl::Status status;
    int attempts = 0;
    bool done = false;
  };
  struct Lane {
    absl::Mutex mu;
    std::deque<Job*> queue ABSL_GUARDED_BY(mu);
    bool stopping ABSL_GUARDED_BY(mu) = false;
    std::thread thread;
  };

  void Loop(Lane& lane);
  // Runs `batch` in one transaction; fills each job's status, or leaves it in
  // `retry` when it deserves another attempt.
  void RunBatch(const std::vector<Job*>& batch, std::vector<Job*>* retry);

  pg::Pool& pool_;
  const int max_batch_;
  BatchObserver observer_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_GROUP_COMMIT_H_
