// Claim, deliver, record; see delivery_agent.h.
#include "services/outbound-relay/delivery_agent.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>
#include <exception>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/libs/base/log.h"
#include "services/libs/base/uuid.h"
#include "services/libs/delivery/classify.h"
#include "services/libs/rpc/status_map.h"
#include "services/outbound-relay/dsn.h"

namespace mail::outbound_relay {
namespace {

void LogException(std::exception_ptr e, const char* where) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    base::LogError("unexpected exception", {{"where", where}, {"error", ex.what()}});
  } catch (...) {
    base::LogError("unexpected exception", {{"where", where}});
  }
}

}  // namespace

std::string CauseOf(const SmtpReply& reply) {
  if (!reply.cause.empty()) return reply.cause;
  delivery::Outcome o;
  o.code = reply.code;
  o.enhanced = reply.enhanced;
  const std::string text = reply.Text();
  o.text = text;
  return std::string(delivery::Classify(o).cause->id);
}

namespace {

// A session-level failure (every address refused at greeting, EHLO or MAIL, or could
// not be reached) is never final by itself: like Postfix (smtp_skip_5xx_greeting) the
// relay retries later, and the queue lifetime bounds the retries.
SmtpReply AsTransient(const SmtpReply& reply) {
  if (DispositionOf(reply) != Disposition::kFailed) return reply;
  return LocalReply("4.4.0",
                    absl::StrCat("every MX host refused the session; last: ", reply.Summary()),
                    CauseOf(reply));
}

// Failures that say the address itself is bad: a hard failure suppresses it. Others
// (policy, content, size...) are about the message and do not.
bool AddressLevelCause(const std::string& cause) {
  static const char* const kCauses[] = {
      "mailbox_unknown", "mailbox_unavailable", "address_invalid",
      "mailbox_moved",   "mailbox_disabled",    "domain_not_found",
      "domain_invalid",  "domain_no_mail",      "null_mx"};
  for (const char* c : kCauses) {
    if (cause == c) return true;
  }
  return false;
}

AttemptRecord::Suppress SuppressionEffect(Disposition outcome, const std::string& cause) {
  if (cause == "suppressed" || cause == "mailbox_store_unavailable") {
    return AttemptRecord::Suppress::kNone;
  }
  switch (outcome) {
    case Disposition::kDelivered:
      return AttemptRecord::Suppress::kClear;
    case Disposition::kDeferred:
      return AttemptRecord::Suppress::kSoft;
    case Disposition::kFailed:
      return AddressLevelCause(cause) ? AttemptRecord::Suppress::kHard
                                      : AttemptRecord::Suppress::kNone;
  }
  return AttemptRecord::Suppress::kNone;
}

SmtpReply Reply(int code, std::string enhanced, std::string text) {
  SmtpReply reply;
  reply.code = code;
  reply.enhanced = std::move(enhanced);
  reply.lines.push_back(reply.enhanced + " " + text);
  return reply;
}

}  // namespace

DeliveryAgent::DeliveryAgent(asio::io_context& io, asio::thread_pool& db, QueueStore* store,
                             clients::DnsClient* dns, clients::MailboxClient* mailbox,
                             AgentOptions options, const RelayMetrics* metrics)
    : io_(io),
      db_(db),
      store_(store),
      dns_(dns),
      mailbox_(mailbox),
      options_(std::move(options)),
      metrics_(metrics),
      strand_(asio::make_strand(io)),
      wake_timer_(strand_) {
  for (int i = 0; i < kJobStrands; ++i) job_strands_.push_back(asio::make_strand(io));
  if (options_.connection_cache_time > absl::ZeroDuration()) {
    pool_ = std::make_unique<ConnectionPool>(options_.connection_cache_time, 256);
  }
}

template <typename F>
asio::awaitable<decltype(std::declval<F>()())> DeliveryAgent::OnDb(F fn) {
  using R = decltype(fn());
  // Runs `fn` on a database thread; the awaiting coroutine resumes on its own executor.
  // Deliberately not a coroutine itself: GCC 12 destroys a by-value parameter twice
  // when a coroutine moves it into a lambda capture (see services/libs/rpc/async_call.cc).
  return asio::co_spawn(
      db_.get_executor(), [fn = std::move(fn)]() -> asio::awaitable<R> { co_return fn(); },
      asio::use_awaitable);
}

void DeliveryAgent::Start() {
  scheduler_running_ = true;
  asio::co_spawn(strand_, Schedule(), [this](std::exception_ptr e) {
    LogException(e, "scheduler");
    scheduler_running_ = false;
  });
  asio::co_spawn(asio::make_strand(io_), RefreshDepth(),
                 [](std::exception_ptr e) { LogException(e, "queue depth"); });
  if (options_.retention > absl::ZeroDuration()) {
    asio::co_spawn(asio::make_strand(io_), PurgeLoop(),
                   [](std::exception_ptr e) { LogException(e, "purge"); });
  }
  if (options_.send_dsns) {
    dsn_running_ = true;
    asio::co_spawn(asio::make_strand(io_), DsnLoop(), [this](std::exception_ptr e) {
      LogException(e, "dsn");
      dsn_running_ = false;
    });
  }
}

void DeliveryAgent::Wake() {
  wake_pending_ = true;
  asio::post(strand_, [this] { wake_timer_.cancel(); });
}

bool DeliveryAgent::Stop(absl::Duration grace) {
  stopping_ = true;
  Wake();
  const absl::Time deadline = absl::Now() + grace;
  while ((scheduler_running_ || dsn_running_ || in_flight_ > 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return !scheduler_running_ && !dsn_running_ && in_flight_ == 0;
}

void DeliveryAgent::StartJob(Job job) {
  ++in_flight_;
  // Deliveries to one domain share a strand, and pooled connections are keyed by strand:
  // a connection is only ever used from the strand that opened it.
  const size_t shard = std::hash<std::string>()(job.domain) % job_strands_.size();
  asio::co_spawn(job_strands_[shard], RunJob(std::move(job)), [this](std::exception_ptr e) {
    LogException(e, "delivery");
    --in_flight_;
    Wake();
  });
}

asio::awaitable<void> DeliveryAgent::Schedule() {
  const int workers = options_.workers;
  // Claimed, not started yet (leased to us). A job that waited here for half its lease
  // is dropped instead: its lease runs out and it is claimed again, never delivered
  // with too little lease left.
  std::deque<Job> reserve;
  while (!stopping_) {
    wake_pending_ = false;
    while (!reserve.empty() && in_flight_.load() < workers) {
      Job job = std::move(reserve.front());
      reserve.pop_front();
      if (absl::Now() - job.claimed_at > options_.lease / 2) continue;
      StartJob(std::move(job));
    }
    const int free = workers - in_flight_.load();
    const int reserved = static_cast<int>(reserve.size());
    // Claim when a slot is free (then nothing is in reserve), or when the reserve is
    // down to half; enough for the free slots and a full reserve.
    if (free > 0 || reserved < (workers + 1) / 2) {
      const int want = std::max(free, 0) + workers - reserved;
      const absl::Time claimed_at = absl::Now();
      auto jobs = co_await OnDb([this, want] { return store_->Claim(want, options_.lease); });
      if (!jobs.ok()) {
        base::LogWarning("cannot claim queued mail", {{"error", jobs.status().ToString()}});
      } else {
        for (Job& job : *jobs) {
          job.claimed_at = claimed_at;
          if (in_flight_.load() < workers) {
            StartJob(std::move(job));
          } else {
            reserve.push_back(std::move(job));
          }
        }
      }
    }
    if (stopping_) break;
    if (wake_pending_) continue;
    wake_timer_.expires_after(absl::ToChronoMilliseconds(options_.poll_interval));
    std::error_code ec;
    co_await wake_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  // Claimed work runs even when a stop began meanwhile: it is leased to us, and
  // finishing it beats leaving it to wait for the lease to run out.
  for (Job& job : reserve) StartJob(std::move(job));
}

asio::awaitable<void> DeliveryAgent::RefreshDepth() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    auto depth = co_await OnDb([this] { return store_->Depth(); });
    if (depth.ok()) {
      if (metrics_) metrics_->Depth(*depth);
    } else {
      base::LogWarning("cannot read the queue depth", {{"error", depth.status().ToString()}});
    }
    auto suppressed = co_await OnDb([this] { return store_->SuppressionCount(); });
    if (suppressed.ok() && metrics_ && metrics_->suppressed) {
      metrics_->suppressed->Set(static_cast<double>(*suppressed));
    }
    timer.expires_after(absl::ToChronoMilliseconds(options_.depth_interval));
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<int64_t> DeliveryAgent::PurgeFinished() {
  int64_t messages = 0, recipients = 0;
  while (!stopping_) {
    auto batch =
        co_await OnDb([this] { return store_->Purge(options_.retention, options_.purge_batch); });
    if (!batch.ok()) {
      base::LogWarning("cannot purge finished mail", {{"error", batch.status().ToString()}});
      break;
    }
    if (batch->skipped) break;  // another relay is purging now
    messages += batch->messages;
    recipients += batch->recipients;
    if (metrics_) metrics_->Purged(batch->messages, batch->recipients);
    // A short batch: nothing more is finished (or the rest is locked by someone).
    if (batch->messages < options_.purge_batch) break;
  }
  if (messages > 0) {
    base::LogInfo("purged finished mail",
                  {{"messages", absl::StrCat(messages)}, {"recipients", absl::StrCat(recipients)}});
  }
  co_return messages;
}

asio::awaitable<void> DeliveryAgent::PurgeLoop() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    co_await PurgeFinished();
    timer.expires_after(absl::ToChronoMilliseconds(options_.purge_interval));
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> DeliveryAgent::AcquireDestination(const std::string& domain) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(destinations_mu_);
      int& n = destinations_[domain];
      if (n < options_.max_per_destination) {
        ++n;
        co_return;
      }
    }
    // Rare (more jobs for one domain than its limit): wait for one to finish.
    timer.expires_after(std::chrono::milliseconds(20));
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void DeliveryAgent::ReleaseDestination(const std::string& domain) {
  std::lock_guard<std::mutex> lock(destinations_mu_);
  auto it = destinations_.find(domain);
  if (it != destinations_.end() && --it->second <= 0) destinations_.erase(it);
}

asio::awaitable<void> DeliveryAgent::RunJob(Job job) {
  const std::string destination = job.local ? std::string("local:") + job.domain : job.domain;
  co_await AcquireDestination(destination);
  const absl::Time start = absl::Now();
  // The message and which of its addresses are suppressed (README: SUPPRESSION; those
  // are not attempted and fail at once), in one round trip.
  std::vector<std::string> addresses;
  for (const auto& r : job.recipients) addresses.push_back(r.address);
  auto message = co_await OnDb([this, &job, &addresses] {
    return store_->LoadForDelivery(job.message_id, addresses, job.created_at);
  });
  if (!message.ok()) {
    // The lease expires and the recipients are tried again later.
    base::LogError("cannot load queued message",
                   {{"queue_id", job.message_id}, {"error", message.status().ToString()}});
    ReleaseDestination(destination);
    co_return;
  }
  const std::set<std::string>* suppressed = &message->suppressed;
  Job attempt_job = job;
  attempt_job.recipients.clear();
  std::vector<int> index;  // job recipient -> attempt_job recipient, or -1
  for (const auto& r : job.recipients) {
    if (suppressed->count(absl::AsciiStrToLower(r.address)) > 0) {
      index.push_back(-1);
    } else {
      index.push_back(static_cast<int>(attempt_job.recipients.size()));
      attempt_job.recipients.push_back(r);
    }
  }
  JobOutcome outcome;
  if (!attempt_job.recipients.empty()) {
    if (job.local) {
      outcome = co_await DeliverLocal(attempt_job, *message);
    } else {
      outcome = co_await Attempt(attempt_job, *message);
    }
  }
  const SmtpReply suppressed_reply = LocalReply(
      "5.1.1", "recipient suppressed after repeated failures (see mailctl suppression list)",
      "suppressed");
  const absl::Time now = absl::Now();
  std::vector<AttemptRecord> records;
  for (size_t i = 0; i < job.recipients.size(); ++i) {
    const ClaimedRecipient& rcpt = job.recipients[i];
    AttemptRecord r;
    r.recipient_id = rcpt.id;
    r.reply = index[i] < 0 ? suppressed_reply : outcome.replies[index[i]];
    r.cause = CauseOf(r.reply);
    r.outcome = DispositionOf(r.reply);
    r.decision = Decide(r.outcome, rcpt.attempts + 1, job.created_at, now, options_.retry);
    r.suppress = SuppressionEffect(r.outcome, r.cause);
    if (index[i] >= 0) {
      r.mx_host = outcome.mx_host;
      r.ip = outcome.ip;
      r.tls = outcome.tls;
    }
    r.duration = now - start;
    if (metrics_) {
      metrics_->Delivery(r.decision.state, r.cause);
      if (r.decision.state == Disposition::kDelivered && !job.local) metrics_->DeliveredTls(r.tls);
      if (index[i] < 0) metrics_->SuppressedRecipient();
    }
    std::string next =
        r.decision.state == Disposition::kDeferred
            ? absl::FormatTime(absl::RFC3339_sec, r.decision.next_attempt, absl::UTCTimeZone())
            : "";
    base::LogInfo(std::string(DispositionName(r.decision.state)),
                  {{"queue_id", job.message_id},
                   {"recipient", rcpt.address},
                   {"relay", r.ip.empty() ? r.mx_host : absl::StrCat(r.mx_host, "[", r.ip, "]")},
                   {"tls", r.tls ? "true" : "false"},
                   {"reply", r.reply.Summary()},
                   {"cause", r.cause},
                   {"attempts", std::to_string(rcpt.attempts + 1)},
                   {"next_attempt", next}});
    records.push_back(std::move(r));
  }
  absl::Status recorded =
      co_await OnDb([this, &records] { return store_->Record(records, options_.suppression); });
  if (!recorded.ok()) {
    // The lease expires and the attempt is repeated: at-least-once delivery.
    base::LogError("cannot record delivery outcome",
                   {{"queue_id", job.message_id}, {"error", recorded.ToString()}});
  }
  if (metrics_) metrics_->Attempt(absl::Now() - start);
  ReleaseDestination(destination);
}

asio::awaitable<JobOutcome> DeliveryAgent::DeliverLocal(const Job& job,
                                                        const StoredMessage& message) {
  JobOutcome out;
  out.mx_host = "mailbox-store";
  const size_t n = job.recipients.size();
  if (mailbox_ == nullptr) {
    out.replies.assign(
        n, LocalReply("4.3.0", "no mailbox store to deliver to", "mailbox_store_unavailable"));
    co_return out;
  }
  v1::Envelope envelope;
  // The message's own id: mailbox-store stores nothing twice for one (id, account), so
  // a repeated attempt (a relay killed after Deliver committed) is harmless.
  envelope.set_transaction_id(job.message_id);
  envelope.set_sender(message.sender);
  envelope.set_smtputf8(message.smtputf8);
  envelope.set_size_hint(message.body.size());
  for (const auto& r : job.recipients) envelope.add_recipients()->set_address(r.address);
  absl::StatusOr<v1::DeliverResponse> response = co_await mailbox_->Deliver(envelope, message.body);
  if (!response.ok()) {
    rpc::SmtpReply mapped = rpc::SmtpReplyForError(response.status());
    SmtpReply reply = Reply(mapped.code, mapped.enhanced,
                            absl::StrCat("mailbox-store: ", response.status().message()));
    if (mapped.code / 100 != 5) reply.cause = "mailbox_store_unavailable";
    out.replies.assign(n, reply);
    co_return out;
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string& address = job.recipients[i].address;
    v1::DeliveryStatus status = v1::DELIVERY_STATUS_UNSPECIFIED;
    if (static_cast<size_t>(response->results_size()) == n &&
        absl::EqualsIgnoreCase(response->results(i).address(), address)) {
      status = response->results(i).status();
    } else {
      for (const auto& result : response->results()) {
        if (absl::EqualsIgnoreCase(result.address(), address)) status = result.status();
      }
    }
    switch (status) {
      case v1::DELIVERY_STATUS_DELIVERED:
      case v1::DELIVERY_STATUS_DUPLICATE:
        out.replies.push_back(Reply(250, "2.0.0", "delivered to the mailbox"));
        break;
      case v1::DELIVERY_STATUS_UNKNOWN_USER:
        out.replies.push_back(Reply(550, "5.1.1", "no such local mailbox"));
        break;
      case v1::DELIVERY_STATUS_OVER_QUOTA:
        // Temporary, like Postfix's virtual delivery: the user may make room.
        out.replies.push_back(Reply(452, "4.2.2", "mailbox full (over quota)"));
        break;
      default:
        out.replies.push_back(Reply(451, "4.3.0", "mailbox-store gave no result"));
        break;
    }
  }
  co_return out;
}

asio::awaitable<void> DeliveryAgent::DsnLoop() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    int sent = co_await SendDueDsns();
    if (sent > 0) Wake();  // the DSNs are queue messages: deliver them now
    timer.expires_after(absl::ToChronoMilliseconds(options_.poll_interval));
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<int> DeliveryAgent::SendDueDsns() {
  auto due = co_await OnDb([this] { return store_->DsnDue(50, options_.delay_warning); });
  if (!due.ok()) {
    base::LogWarning("cannot read due DSNs", {{"error", due.status().ToString()}});
    co_return 0;
  }
  int sent = 0;
  for (const DsnWork& work : *due) {
    bool ok = co_await SendDsn(work);
    if (ok) ++sent;
  }
  co_return sent;
}

asio::awaitable<bool> DeliveryAgent::SendDsn(const DsnWork& work) {
  v1::Envelope envelope;
  const std::string id = base::NewUuid();
  envelope.set_transaction_id(id);
  envelope.set_sender("");  // RFC 3461 §6.2 / RFC 5321 §4.5.5: DSNs use the null path
  if (!work.sender.empty()) {
    v1::EnvelopeRecipient* rcpt = envelope.add_recipients();
    rcpt->set_address(work.sender);
    rcpt->add_notify(v1::DSN_NOTIFY_NEVER);
    bool local = false;
    if (mailbox_ != nullptr) {
      v1::LookupRecipientRequest request;
      request.set_address(work.sender);
      absl::StatusOr<v1::LookupRecipientResponse> kind =
          co_await mailbox_->LookupRecipient(request);
      if (!kind.ok()) {
        // Which way the DSN goes is unknown: try again at the next pass.
        base::LogWarning("cannot look up the sender for a DSN",
                         {{"queue_id", work.message_id}, {"error", kind.status().ToString()}});
        co_return false;
      }
      local = kind->kind() == v1::RECIPIENT_KIND_LOCAL ||
              kind->kind() == v1::RECIPIENT_KIND_UNKNOWN_USER;
    }
    rcpt->set_local(local);
  }
  DsnOptions dsn;
  dsn.hostname = options_.hostname.empty() ? options_.smtp.helo_name : options_.hostname;
  dsn.message_id = id;
  dsn.now = absl::Now();
  dsn.lifetime = options_.retry.lifetime;
  std::string body = BuildDsn(work, dsn);
  auto committed = co_await OnDb(
      [this, &work, &envelope, &body] { return store_->CommitDsn(work, envelope, body); });
  if (!committed.ok()) {
    base::LogWarning("cannot queue a DSN",
                     {{"queue_id", work.message_id}, {"error", committed.status().ToString()}});
    co_return false;
  }
  if (!*committed) co_return false;  // another relay reported these recipients
  const char* kind = work.delay ? "delay" : "failure";
  bool all_delivered = true;
  for (const auto& r : work.recipients) all_delivered = all_delivered && r.state == "delivered";
  if (!work.delay && all_delivered) kind = "success";
  if (metrics_) metrics_->Bounce(kind);
  base::LogInfo("dsn queued", {{"queue_id", work.message_id},
                               {"dsn_id", id},
                               {"kind", kind},
                               {"to", work.sender},
                               {"recipients", std::to_string(work.recipients.size())}});
  co_return true;
}

asio::awaitable<JobOutcome> DeliveryAgent::Attempt(const Job& job, const StoredMessage& message) {
  JobOutcome out;
  const size_t n = job.recipients.size();
  auto all = [&](SmtpReply reply) {
    out.replies.assign(n, std::move(reply));
    return out;
  };
  const std::string& domain = job.domain;

  // Candidate (host, address) pairs in the order to try them.
  std::vector<std::pair<std::string, std::string>> candidates;
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    // An address literal (RFC 5321 §4.1.3): no DNS, deliver to that address.
    std::string literal = domain.substr(1, domain.size() - 2);
    if (literal.rfind("ipv6:", 0) == 0) literal = literal.substr(5);
    candidates.emplace_back(domain, literal);
  } else {
    v1::ResolveMxRequest request;
    request.set_domain(domain);
    absl::StatusOr<v1::ResolveMxResponse> mx = co_await dns_->ResolveMx(request);
    if (!mx.ok()) {
      if (mx.status().code() == absl::StatusCode::kInvalidArgument) {
        co_return all(LocalReply("5.1.2", absl::StrCat("'", domain, "' is not a valid domain"),
                                 "domain_invalid"));
      }
      co_return all(LocalReply(
          "4.4.3", absl::StrCat("cannot look up the MX of ", domain, ": ", mx.status().message())));
    }
    switch (mx->outcome()) {
      case v1::DNS_OUTCOME_NXDOMAIN:
        co_return all(
            LocalReply("5.1.2", absl::StrCat("the domain ", domain, " does not exist (NXDOMAIN)")));
      case v1::DNS_OUTCOME_NO_DATA:
        co_return all(LocalReply(
            "5.4.4", absl::StrCat("the domain ", domain, " has no MX, A or AAAA record")));
      case v1::DNS_OUTCOME_FOUND:
        break;
      default:
        co_return all(LocalReply("4.4.3", absl::StrCat("DNS lookup for ", domain,
                                                       " failed temporarily: ", mx->detail())));
    }
    if (mx->null_mx()) {
      // RFC 7505 §4.3: a null MX is a permanent failure, X.1.10.
      co_return all(LocalReply(
          "5.1.10", absl::StrCat("the domain ", domain, " accepts no mail (null MX, RFC 7505)")));
    }
    bool any_temporary = false;
    for (const v1::MxHost& host : mx->hosts()) {
      if (host.address_outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE) any_temporary = true;
      for (const std::string& address : host.addresses()) {
        candidates.emplace_back(host.name(), address);
      }
    }
    if (candidates.empty()) {
      if (any_temporary) {
        co_return all(LocalReply(
            "4.4.3", absl::StrCat("the MX hosts of ", domain, " could not be resolved for now")));
      }
      co_return all(LocalReply("5.4.4", absl::StrCat("no MX host of ", domain, " has an address")));
    }
  }

  OutboundMessage outbound;
  outbound.sender = message.sender;
  outbound.body = &message.body;
  outbound.smtputf8 = message.smtputf8;
  for (const auto& rcpt : job.recipients) outbound.recipients.push_back(rcpt.address);
  SessionOptions session = options_.smtp;
  session.pool = pool_.get();
  session.pool_shard = std::hash<std::string>()(job.domain) % job_strands_.size();
  // Finish well inside the lease, so no other relay starts the same delivery.
  const absl::Duration margin = std::min(options_.lease / 10, absl::Seconds(30));
  const absl::Time leased = job.claimed_at == absl::InfinitePast() ? absl::Now() : job.claimed_at;
  session.deadline = leased + options_.lease - margin;

  if (!options_.source_addresses.empty()) {
    // One source address per delivery, in rotation (--source_addresses).
    session.source =
        options_.source_addresses[source_next_.fetch_add(1) % options_.source_addresses.size()];
  }
  SmtpReply last = LocalReply("4.4.1", "no MX host could be tried", "connection_failed");
  int tried = 0;
  for (const auto& [host, address] : candidates) {
    if (tried == options_.max_addresses || absl::Now() >= session.deadline) break;
    std::error_code ec;
    asio::ip::address ip = asio::ip::make_address(address, ec);
    if (ec) continue;
    ++tried;
    SessionResult result = co_await RunSmtpSession(ip, host, outbound, session);
    if (result.tls_failed) {
      // Opportunistic TLS: a failed handshake is retried in plaintext (RFC 3207 §4.1
      // leaves the choice to the client; Postfix does the same at level "may").
      base::LogInfo("STARTTLS failed; retrying without TLS",
                    {{"queue_id", job.message_id}, {"relay", host + "[" + address + "]"}});
      SessionOptions plain = session;
      plain.try_starttls = false;
      result = co_await RunSmtpSession(ip, host, outbound, plain);
    }
    if (result.reached_mail && metrics_) metrics_->Session(result.tls);
    out.mx_host = host;
    out.ip = address;
    out.tls = result.tls;
    if (result.answered) {
      out.replies = std::move(result.per_recipient);
      co_return out;
    }
    last = result.failure;
    base::LogInfo("delivery attempt to a host failed", {{"queue_id", job.message_id},
                                                        {"relay", host + "[" + address + "]"},
                                                        {"reply", last.Summary()}});
  }
  co_return all(AsTransient(last));
}

}  // namespace mail::outbound_relay
