// Claim, deliver, record; see delivery_agent.h.
#include "services/outbound-relay/delivery_agent.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/libs/base/log.h"

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

// A session-level failure (every address refused at greeting, EHLO or MAIL, or could
// not be reached) is never final by itself: like Postfix (smtp_skip_5xx_greeting) the
// relay retries later, and the queue lifetime bounds the retries.
SmtpReply AsTransient(const SmtpReply& reply) {
  if (DispositionOf(reply) != Disposition::kFailed) return reply;
  return LocalReply("4.4.0",
                    absl::StrCat("every MX host refused the session; last: ", reply.Summary()));
}

}  // namespace

DeliveryAgent::DeliveryAgent(asio::io_context& io, asio::thread_pool& db, QueueStore* store,
                             clients::DnsClient* dns, AgentOptions options,
                             const RelayMetrics* metrics)
    : io_(io),
      db_(db),
      store_(store),
      dns_(dns),
      options_(std::move(options)),
      metrics_(metrics),
      strand_(asio::make_strand(io)),
      wake_timer_(strand_) {}

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
}

void DeliveryAgent::Wake() {
  wake_pending_ = true;
  asio::post(strand_, [this] { wake_timer_.cancel(); });
}

bool DeliveryAgent::Stop(absl::Duration grace) {
  stopping_ = true;
  Wake();
  const absl::Time deadline = absl::Now() + grace;
  while ((scheduler_running_ || in_flight_ > 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return !scheduler_running_ && in_flight_ == 0;
}

asio::awaitable<void> DeliveryAgent::Schedule() {
  while (!stopping_) {
    wake_pending_ = false;
    const int free = options_.workers - in_flight_.load();
    if (free > 0) {
      auto jobs = co_await OnDb([this, free] { return store_->Claim(free, options_.lease); });
      if (!jobs.ok()) {
        base::LogWarning("cannot claim queued mail", {{"error", jobs.status().ToString()}});
      } else {
        // Claimed work runs even when a stop began meanwhile: it is leased to us.
        for (Job& job : *jobs) {
          ++in_flight_;
          asio::co_spawn(asio::make_strand(io_), RunJob(std::move(job)),
                         [this](std::exception_ptr e) {
                           LogException(e, "delivery");
                           --in_flight_;
                           Wake();
                         });
        }
      }
    }
    if (stopping_) break;
    if (wake_pending_) continue;
    wake_timer_.expires_after(absl::ToChronoMilliseconds(options_.poll_interval));
    std::error_code ec;
    co_await wake_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
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
    timer.expires_after(absl::ToChronoMilliseconds(options_.depth_interval));
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> DeliveryAgent::RunJob(Job job) {
  const absl::Time start = absl::Now();
  auto message = co_await OnDb([this, &job] { return store_->LoadMessage(job.message_id); });
  if (!message.ok()) {
    // The lease expires and the recipients are tried again later.
    base::LogError("cannot load queued message",
                   {{"queue_id", job.message_id}, {"error", message.status().ToString()}});
    co_return;
  }
  JobOutcome outcome = co_await Attempt(job, *message);
  const absl::Time now = absl::Now();
  std::vector<AttemptRecord> records;
  for (size_t i = 0; i < job.recipients.size(); ++i) {
    const ClaimedRecipient& rcpt = job.recipients[i];
    AttemptRecord r;
    r.recipient_id = rcpt.id;
    r.reply = outcome.replies[i];
    r.outcome = DispositionOf(r.reply);
    r.decision = Decide(r.outcome, rcpt.attempts + 1, job.created_at, now, options_.retry);
    r.mx_host = outcome.mx_host;
    r.ip = outcome.ip;
    r.tls = outcome.tls;
    r.duration = now - start;
    if (metrics_) metrics_->Delivery(r.decision.state);
    std::string next =
        r.decision.state == Disposition::kDeferred
            ? absl::FormatTime(absl::RFC3339_sec, r.decision.next_attempt, absl::UTCTimeZone())
            : "";
    base::LogInfo(
        std::string(DispositionName(r.decision.state)),
        {{"queue_id", job.message_id},
         {"recipient", rcpt.address},
         {"relay", outcome.ip.empty() ? outcome.mx_host
                                      : absl::StrCat(outcome.mx_host, "[", outcome.ip, "]")},
         {"tls", outcome.tls ? "true" : "false"},
         {"reply", r.reply.Summary()},
         {"attempts", std::to_string(rcpt.attempts + 1)},
         {"next_attempt", next}});
    records.push_back(std::move(r));
  }
  absl::Status recorded = co_await OnDb([this, &records] { return store_->Record(records); });
  if (!recorded.ok()) {
    // The lease expires and the attempt is repeated: at-least-once delivery.
    base::LogError("cannot record delivery outcome",
                   {{"queue_id", job.message_id}, {"error", recorded.ToString()}});
  }
  if (metrics_) metrics_->Attempt(absl::Now() - start);
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
        co_return all(LocalReply("5.1.2", absl::StrCat("'", domain, "' is not a valid domain")));
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
  // Finish well inside the lease, so no other relay starts the same delivery.
  const absl::Duration margin = std::min(options_.lease / 10, absl::Seconds(30));
  session.deadline = absl::Now() + options_.lease - margin;

  SmtpReply last = LocalReply("4.4.1", "no MX host could be tried");
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
