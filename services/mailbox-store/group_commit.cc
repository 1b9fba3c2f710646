// Group commit: see group_commit.h.
#include "services/mailbox-store/group_commit.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "services/libs/base/log.h"

namespace mail::mailbox_store {
namespace {

constexpr int kMaxAttempts = 5;
constexpr int kMaxBatchCap = 60;

// Worth another attempt in a later transaction: deadlocks and serialization failures
// (ABORTED), and a connection lost before anything was committed (UNAVAILABLE).
bool Retryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted ||
         status.code() == absl::StatusCode::kUnavailable;
}

}  // namespace

GroupCommitter::GroupCommitter(pg::Pool& pool, int committers, int max_batch,
                               BatchObserver observer)
    : pool_(pool),
      max_batch_(std::clamp(max_batch, 1, kMaxBatchCap)),
      observer_(std::move(observer)) {
  for (int i = 0; i < std::max(1, committers); ++i) {
    lanes_.push_back(std::make_unique<Lane>());
    Lane& lane = *lanes_.back();
    lane.thread = std::thread([this, &lane] { Loop(lane); });
  }
}

GroupCommitter::~GroupCommitter() {
  for (auto& lane : lanes_) {
    absl::MutexLock lock(&lane->mu);
    lane->stopping = true;
  }
  for (auto& lane : lanes_) lane->thread.join();
}

absl::Status GroupCommitter::Run(std::string_view key, const Work& work) {
  std::string lowered = absl::AsciiStrToLower(absl::string_view(key.data(), key.size()));
  Lane& lane = *lanes_[absl::Hash<std::string>{}(lowered) % lanes_.size()];
  Job job;
  job.work = &work;
  absl::MutexLock lock(&lane.mu);
  if (lane.stopping) return absl::UnavailableError("mailbox-store is stopping");
  lane.queue.push_back(&job);
  lane.mu.Await(absl::Condition(&job.done));
  return job.status;
}

void GroupCommitter::Loop(Lane& lane) {
  auto ready = [&lane]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lane.mu) {
    return !lane.queue.empty() || lane.stopping;
  };
  while (true) {
    std::vector<Job*> batch;
    {
      absl::MutexLock lock(&lane.mu);
      lane.mu.Await(absl::Condition(&ready));
      if (lane.queue.empty()) return;  // stopping, and nothing left to do
      while (!lane.queue.empty() && static_cast<int>(batch.size()) < max_batch_) {
        batch.push_back(lane.queue.front());
        lane.queue.pop_front();
      }
    }
    std::vector<Job*> retry;
    RunBatch(batch, &retry);
    absl::MutexLock lock(&lane.mu);
    for (Job* job : batch) {
      if (std::find(retry.begin(), retry.end(), job) != retry.end()) continue;
      job->done = true;
    }
    // Retried works go first, ahead of newer arrivals; a short pause lets whatever
    // held the conflicting locks finish.
    for (auto it = retry.rbegin(); it != retry.rend(); ++it) lane.queue.push_front(*it);
    if (!retry.empty()) {
      lane.mu.Unlock();
      absl::SleepFor(absl::Milliseconds(5 * retry.front()->attempts));
      lane.mu.Lock();
    }
  }
}

void GroupCommitter::RunBatch(const std::vector<Job*>& batch, std::vector<Job*>* retry) {
  // Every job still in the transaction takes `status` when the transaction as a whole
  // fails (connection lost, COMMIT refused).
  std::vector<Job*> pending;
  auto fail = [&](const std::vector<Job*>& jobs, const absl::Status& status) {
    for (Job* job : jobs) {
      job->status = status;
      if (Retryable(status) && ++job->attempts < kMaxAttempts) retry->push_back(job);
    }
  };
  absl::StatusOr<pg::PooledConnection> conn = pool_.Acquire();
  if (!conn.ok()) {
    // No connection within the pool's wait: the caller answers 4xx; no retry here.
    for (Job* job : batch) job->status = conn.status();
    return;
  }
  pg::Connection& c = **conn;
  if (absl::Status begin = c.Exec("BEGIN").status(); !begin.ok()) {
    fail(batch, begin);  // nothing ran: a stale pooled connection is retried afresh
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Job* job = batch[i];
    if (absl::Status sp = c.Exec("SAVEPOINT delivery").status(); !sp.ok()) {
      std::vector<Job*> rest(batch.begin() + i, batch.end());
      rest.insert(rest.end(), pending.begin(), pending.end());
      fail(rest, sp);
      return;
    }
    absl::Status status = (*job->work)(c);
    if (status.ok()) {
      // No RELEASE: the next SAVEPOINT of the same name nests, ROLLBACK TO goes back
      // to the newest, and a released savepoint's writes would count against the
      // subtransaction cache all the same. One round trip fewer per call.
      pending.push_back(job);
      continue;
    }
    // This work alone failed: undo it and carry on with the others. If even the
    // rollback fails, the transaction is lost for all of them.
    if (absl::Status rb = c.Exec("ROLLBACK TO SAVEPOINT delivery").status(); !rb.ok()) {
      std::vector<Job*> rest(batch.begin() + i + 1, batch.end());
      rest.insert(rest.end(), pending.begin(), pending.end());
      fail(rest, rb);
      fail({job}, status);
      return;
    }
    fail({job}, status);
  }
  absl::Status commit = c.Exec("COMMIT").status();
  if (!commit.ok()) {
    // COMMIT failing after the server might have committed (connection lost while
    // waiting for the answer) is safe to retry: Deliver is idempotent by transaction id.
    fail(pending, commit);
    return;
  }
  for (Job* job : pending) job->status = absl::OkStatus();
  if (observer_ && !pending.empty()) observer_(static_cast<int>(pending.size()));
}

}  // namespace mail::mailbox_store
