// Outbound SMTP session; see smtp_session.h.
#include "services/outbound-relay/smtp_session.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/net/stream.h"

// GCC 12 reports -Wmismatched-new-delete on the coroutine frame of Session::Transaction.
// A false positive (as in smtp-ingress/cmd_data.cc): Asio's awaitable frames pair their
// own operator new and delete.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mail::outbound_relay {
namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);
// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; be lenient with real servers.
constexpr size_t kMaxReplyLine = 4096;

class Session {
 public:
  Session(const asio::ip::address& ip, const std::string& mx_host, const OutboundMessage& message,
          const SessionOptions& options)
      : endpoint_(ip, static_cast<unsigned short>(options.port)),
        mx_host_(mx_host),
        message_(message),
        options_(options),
        where_(absl::StrCat(mx_host, "[", ip.to_string(), "]:", options.port)),
        key_(absl::StrCat(options.pool_shard, "|", ip.to_string(), "|", options.port, "|",
                          options.source ? options.source->to_string() : "", "|",
                          options.try_starttls ? "tls" : "plain")) {}

  asio::awaitable<SessionResult> Run() {
    executor_ = co_await asio::this_coro::executor;
    std::optional<SessionResult> reused = co_await TryReuse();
    if (reused) co_return std::move(*reused);
    SessionResult result;
    bool connected = co_await Connect(&result);
    if (!connected) co_return result;

    std::optional<SmtpReply> greeting = co_await ReadReply(options_.command_timeout);
    if (!greeting) co_return Lost(std::move(result), "greeting");
    if (greeting->cls() != 2) {
      // 554 "no SMTP service here" or a 4xx: try the next host (RFC 5321 §3.1).
      result.failure = *greeting;
      co_await Quit();
      co_return result;
    }

    std::optional<EhloCapabilities> caps = co_await Hello(&result);
    if (!caps) co_return result;
    if (caps->starttls && options_.try_starttls && options_.tls != nullptr) {
      bool sent = co_await Send("STARTTLS\r\n");
      if (!sent) co_return Lost(std::move(result), "STARTTLS");
      std::optional<SmtpReply> reply = co_await ReadReply(options_.command_timeout);
      if (!reply) co_return Lost(std::move(result), "STARTTLS");
      if (reply->code == 220) {
        absl::Status tls =
            co_await stream_->StartClientTls(mx_host_, Timeout(options_.command_timeout));
        if (!tls.ok()) {
          result.tls_failed = true;
          result.failure = LocalReply(
              "4.7.0", absl::StrCat("TLS handshake with ", where_, " failed: ", tls.message()),
              "tls_failure");
          stream_->Close();
          co_return result;
        }
        result.tls = true;
        // RFC 3207 §4.2: forget what was learnt before TLS and say EHLO again.
        caps = co_await Hello(&result);
        if (!caps) co_return result;
      }
      // Any other reply: the server declined; go on in plaintext (opportunistic).
    }

    SessionResult done = co_await Transaction(std::move(result), *caps);
    co_return done;
  }

 private:
  // Tries an idle connection to the same address from the pool (several messages per
  // connection); nullopt when there is none or it turned out to be dead before anything
  // was answered.
  asio::awaitable<std::optional<SessionResult>> TryReuse() {
    if (options_.pool == nullptr) co_return std::nullopt;
    std::optional<IdleConnection> idle = options_.pool->Take(key_);
    if (!idle) co_return std::nullopt;
    stream_ = idle->stream;
    SessionResult result;
    result.tls = idle->tls;
    SessionResult r = co_await Transaction(std::move(result), idle->caps);
    if (!r.answered && r.failure.cause == "connection_lost") {
      // The server closed the idle connection meanwhile: open a new one.
      stream_.reset();
      co_return std::nullopt;
    }
    co_return r;
  }

  // MAIL FROM .. final dot on an open, greeted connection.
  asio::awaitable<SessionResult> Transaction(SessionResult result,
                                             const EhloCapabilities& caps_value) {
    const EhloCapabilities* caps = &caps_value;
    caps_ = caps_value;
    const std::string& body = *message_.body;
    if (message_.smtputf8 && !caps->smtputf8) {
      // RFC 6531 §3.2: without SMTPUTF8 support the message cannot be relayed.
      co_return AllRecipients(std::move(result),
                              LocalReply("5.6.7", absl::StrCat(where_,
                                                               " does not support "
                                                               "SMTPUTF8, which this message "
                                                               "needs")));
    }
    if (caps->max_size > 0 && body.size() > caps->max_size) {
      co_return AllRecipients(
          std::move(result),
          LocalReply("5.3.4", absl::StrCat("message size ", body.size(), " exceeds the limit ",
                                           caps->max_size, " of ", where_)));
    }

    result.reached_mail = true;
    if (caps->pipelining) {
      SessionResult pipelined = co_await Pipelined(std::move(result), *caps);
      co_return pipelined;
    }
    bool sent = co_await Send(
        MailFromCommand(message_.sender, *caps, body.size(), HasEightBit(body), message_.smtputf8));
    if (!sent) co_return Lost(std::move(result), "MAIL FROM");
    std::optional<SmtpReply> mail = co_await ReadReply(options_.command_timeout);
    if (!mail) co_return Lost(std::move(result), "MAIL FROM");
    if (mail->permanent()) {
      co_await Quit();
      co_return AllRecipients(std::move(result), *mail);
    }
    if (mail->cls() != 2) {
      result.failure = *mail;
      co_await Quit();
      co_return result;
    }

    // One RCPT per recipient, each with its own answer.
    std::vector<SmtpReply> replies;
    bool any_accepted = false;
    for (const std::string& rcpt : message_.recipients) {
      bool sent = co_await Send(RcptToCommand(rcpt));
      if (!sent) co_return Lost(std::move(result), "RCPT TO");
      std::optional<SmtpReply> reply = co_await ReadReply(options_.command_timeout);
      if (!reply) co_return Lost(std::move(result), "RCPT TO");
      any_accepted = any_accepted || reply->cls() == 2;
      replies.push_back(std::move(*reply));
    }
    result.answered = true;
    result.per_recipient = replies;
    if (!any_accepted) {
      co_await Quit();
      co_return result;
    }

    sent = co_await Send("DATA\r\n");
    if (!sent) co_return Lost(std::move(result), "DATA");
    std::optional<SmtpReply> data = co_await ReadReply(options_.command_timeout);
    if (!data) co_return Lost(std::move(result), "DATA");
    co_return co_await SendContent(std::move(result), replies, *data, body);
  }

  // RFC 2920: MAIL FROM, every RCPT TO and DATA in one write, then the replies in order
  // (one round trip instead of 2 + recipients).
  asio::awaitable<SessionResult> Pipelined(SessionResult result, EhloCapabilities caps) {
    const std::string& body = *message_.body;
    std::string batch =
        MailFromCommand(message_.sender, caps, body.size(), HasEightBit(body), message_.smtputf8);
    for (const std::string& rcpt : message_.recipients) batch += RcptToCommand(rcpt);
    batch += "DATA\r\n";
    bool sent = co_await Send(std::move(batch));
    if (!sent) co_return Lost(std::move(result), "MAIL FROM");
    std::optional<SmtpReply> mail = co_await ReadReply(options_.command_timeout);
    if (!mail) co_return Lost(std::move(result), "MAIL FROM");
    std::vector<SmtpReply> replies;
    bool any_accepted = false;
    for (size_t i = 0; i < message_.recipients.size(); ++i) {
      std::optional<SmtpReply> reply = co_await ReadReply(options_.command_timeout);
      if (!reply) co_return Lost(std::move(result), "RCPT TO");
      any_accepted = any_accepted || reply->cls() == 2;
      replies.push_back(std::move(*reply));
    }
    std::optional<SmtpReply> data = co_await ReadReply(options_.command_timeout);
    if (!data) co_return Lost(std::move(result), "DATA");
    if (data->code == 354 && (mail->cls() != 2 || !any_accepted)) {
      // A server that accepts DATA with nothing to deliver (RFC 2920 §3.1 says it must
      // not): end the empty message.
      bool ended = co_await Send(".\r\n");
      if (!ended) co_return Lost(std::move(result), "DATA");
      std::optional<SmtpReply> ignored = co_await ReadReply(options_.command_timeout);
      if (!ignored) co_return Lost(std::move(result), "DATA");
    }
    if (mail->cls() != 2) {
      co_await Quit();
      if (mail->permanent()) co_return AllRecipients(std::move(result), *mail);
      result.failure = *mail;
      co_return result;
    }
    result.answered = true;
    result.per_recipient = replies;
    if (!any_accepted) {
      co_await Quit();
      co_return result;
    }
    co_return co_await SendContent(std::move(result), replies, *data, body);
  }

  // After a complete transaction: keeps the connection for the next message to this
  // address (RFC 5321 §3.3 allows several transactions per session); false: QUIT it.
  bool KeepForReuse(bool tls) {
    if (options_.pool == nullptr || stream_ == nullptr || stream_->closed()) return false;
    options_.pool->Put(key_, IdleConnection{stream_, executor_, caps_, tls, absl::Now()});
    stream_.reset();
    return true;
  }

  std::chrono::milliseconds Timeout(absl::Duration d) const {
    absl::Duration left = options_.deadline - absl::Now();
    d = std::max(std::min(d, left), absl::Milliseconds(1));
    return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
  }

  asio::awaitable<bool> Connect(SessionResult* result) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::socket socket(executor);
    asio::steady_timer timer(executor, Timeout(options_.connect_timeout));
    if (options_.source && options_.source->is_v4() == endpoint_.address().is_v4()) {
      // A source address from the pool: bind before connect (port chosen by the kernel).
      std::error_code bind_ec;
      socket.open(endpoint_.protocol(), bind_ec);
      if (!bind_ec) socket.bind(asio::ip::tcp::endpoint(*options_.source, 0), bind_ec);
      if (bind_ec) {
        result->failure = LocalReply(
            "4.4.1",
            absl::StrCat("cannot bind ", options_.source->to_string(), ": ", bind_ec.message()),
            "connection_failed");
        co_return false;
      }
    }
    auto which = co_await (socket.async_connect(endpoint_, kTuple) || timer.async_wait(kTuple));
    std::string error;
    std::string cause = "connection_failed";
    if (which.index() == 1) {
      error = "timed out";
      cause = "connection_timeout";
    } else if (auto [ec] = std::get<0>(which); ec) {
      error = ec.message();
      if (ec == asio::error::connection_refused) {
        cause = "connection_refused";
      } else if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable) {
        cause = "host_unreachable";
      }
    }
    if (!error.empty()) {
      result->failure =
          LocalReply("4.4.1", absl::StrCat("cannot connect to ", where_, ": ", error), cause);
      co_return false;
    }
    stream_ = net::Stream::Create(std::move(socket), options_.tls);
    co_return true;
  }

  // EHLO, or HELO when EHLO is refused (RFC 5321 §3.2). nullopt ends the session
  // with result->failure set.
  asio::awaitable<std::optional<EhloCapabilities>> Hello(SessionResult* result) {
    bool sent = co_await Send(absl::StrCat("EHLO ", options_.helo_name, "\r\n"));
    if (!sent) {
      *result = Lost(std::move(*result), "EHLO");
      co_return std::nullopt;
    }
    std::optional<SmtpReply> ehlo = co_await ReadReply(options_.command_timeout);
    if (!ehlo) {
      *result = Lost(std::move(*result), "EHLO");
      co_return std::nullopt;
    }
    if (ehlo->cls() == 2) co_return ParseEhlo(*ehlo);
    if (ehlo->code == 421) {
      result->failure = *ehlo;
      co_return std::nullopt;
    }
    sent = co_await Send(absl::StrCat("HELO ", options_.helo_name, "\r\n"));
    if (!sent) {
      *result = Lost(std::move(*result), "HELO");
      co_return std::nullopt;
    }
    std::optional<SmtpReply> helo = co_await ReadReply(options_.command_timeout);
    if (!helo) {
      *result = Lost(std::move(*result), "HELO");
      co_return std::nullopt;
    }
    if (helo->cls() != 2) {
      result->failure = *helo;
      co_await Quit();
      co_return std::nullopt;
    }
    co_return EhloCapabilities();
  }

  // `data` by value: it lives in this coroutine's frame while the write is pending.
  asio::awaitable<bool> Send(std::string data, absl::Duration timeout = absl::ZeroDuration()) {
    if (timeout == absl::ZeroDuration()) timeout = options_.command_timeout;
    bool ok = co_await stream_->Write(data, Timeout(timeout));
    co_return ok;
  }

  // nullopt when the connection closed, timed out or sent something that is not a
  // reply; last_error_ then says which.
  asio::awaitable<std::optional<SmtpReply>> ReadReply(absl::Duration timeout) {
    ReplyParser parser;
    std::string line;
    while (true) {
      net::ReadResult r = co_await stream_->ReadLine(&line, kMaxReplyLine, Timeout(timeout));
      switch (r) {
        case net::ReadResult::kOk:
          break;
        case net::ReadResult::kTooLong:
          last_error_ = "reply line too long";
          co_return std::nullopt;
        case net::ReadResult::kClosed:
          last_error_ = "connection closed";
          co_return std::nullopt;
        case net::ReadResult::kTimeout:
          last_error_ = "timed out waiting for a reply";
          co_return std::nullopt;
      }
      int rc = parser.Feed(line);
      if (rc == 1) co_return parser.reply();
      if (rc < 0) {
        last_error_ = absl::StrCat("invalid reply line '", line.substr(0, 80), "'");
        co_return std::nullopt;
      }
    }
  }

  // After the reply to DATA: the content when it is 354, then the final reply applied
  // to the accepted recipients. Shared by the plain and the pipelined transaction.
  asio::awaitable<SessionResult> SendContent(SessionResult result,
                                             const std::vector<SmtpReply>& replies,
                                             const SmtpReply& data, const std::string& body) {
    if (data.code != 354) {
      ApplyToAccepted(&result, replies, data);
      co_await Quit();
      co_return result;
    }
    bool sent = co_await Send(DotStuff(body), 2 * options_.command_timeout);
    if (!sent) co_return Lost(std::move(result), "message content");
    // RFC 5321 §4.5.3.2.6: up to 10 minutes for the reply to the final dot.
    std::optional<SmtpReply> done = co_await ReadReply(2 * options_.command_timeout);
    if (!done) co_return Lost(std::move(result), "end of data");
    ApplyToAccepted(&result, replies, *done);
    if (!KeepForReuse(result.tls)) co_await Quit();
    co_return result;
  }

  asio::awaitable<void> Quit() {
    if (stream_ == nullptr || stream_->closed()) co_return;
    bool sent = co_await stream_->Write("QUIT\r\n", Timeout(absl::Seconds(10)));
    if (sent) {
      std::optional<SmtpReply> bye = co_await ReadReply(absl::Seconds(10));
    }
    stream_->Close();
  }

  SessionResult Lost(SessionResult result, std::string_view stage) {
    result.answered = false;
    result.per_recipient.clear();
    result.failure = LocalReply(
        "4.4.2", absl::StrCat("lost ", where_, " during ", std::string(stage), ": ", last_error_),
        "connection_lost");
    if (stream_) stream_->Close();
    return result;
  }

  SessionResult AllRecipients(SessionResult result, const SmtpReply& reply) {
    result.answered = true;
    result.per_recipient.assign(message_.recipients.size(), reply);
    return result;
  }

  // After DATA: recipients the server accepted at RCPT share the DATA outcome; the
  // others keep their RCPT reply.
  static void ApplyToAccepted(SessionResult* result, const std::vector<SmtpReply>& rcpt_replies,
                              const SmtpReply& reply) {
    for (size_t i = 0; i < rcpt_replies.size(); ++i) {
      if (rcpt_replies[i].cls() == 2) result->per_recipient[i] = reply;
    }
  }

  const asio::ip::tcp::endpoint endpoint_;
  const std::string mx_host_;
  const OutboundMessage& message_;
  const SessionOptions& options_;
  const std::string where_;  // "mx.example.org[192.0.2.1]:25" for messages
  const std::string key_;    // connection pool key: address, port, source, TLS policy
  EhloCapabilities caps_;
  asio::any_io_executor executor_;
  std::shared_ptr<net::Stream> stream_;
  std::string last_error_;
};

}  // namespace

ConnectionPool::~ConnectionPool() { CloseAll(); }

std::optional<IdleConnection> ConnectionPool::Take(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked(absl::Now());
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  IdleConnection c = std::move(it->second);
  idle_.erase(it);
  return c;
}

void ConnectionPool::Put(const std::string& key, IdleConnection connection) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked(absl::Now());
  if (idle_.size() >= max_idle_) {
    connection.stream->Close();  // called on its own strand
    return;
  }
  idle_.emplace(key, std::move(connection));
}

// Only when no io thread runs (destruction).
void ConnectionPool::CloseAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, c] : idle_) c.stream->Close();
  idle_.clear();
}

void ConnectionPool::ReapLocked(absl::Time now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (now - it->second.since > idle_time_) {
      // Past the reuse window: close without QUIT (the server times it out anyway), on
      // the stream's own strand (this may run on another one).
      asio::post(it->second.executor, [stream = std::move(it->second.stream)] { stream->Close(); });
      it = idle_.erase(it);
    } else {
      ++it;
    }
  }
}

SmtpReply LocalReply(std::string enhanced, std::string text, std::string cause) {
  SmtpReply reply;
  reply.cause = std::move(cause);
  reply.enhanced = std::move(enhanced);
  reply.lines.push_back(reply.enhanced + " " + text);
  return reply;
}

asio::awaitable<SessionResult> RunSmtpSession(const asio::ip::address& ip,
                                              const std::string& mx_host,
                                              const OutboundMessage& message,
                                              const SessionOptions& options) {
  Session session(ip, mx_host, message, options);
  SessionResult result = co_await session.Run();
  co_return result;
}

}  // namespace mail::outbound_relay
