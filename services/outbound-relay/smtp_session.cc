// Outbound SMTP session; see smtp_session.h.
#include "services/outbound-relay/smtp_session.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/net/stream.h"

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
        where_(absl::StrCat(mx_host, "[", ip.to_string(), "]:", options.port)) {}

  asio::awaitable<SessionResult> Run() {
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
              "4.7.0", absl::StrCat("TLS handshake with ", where_, " failed: ", tls.message()));
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
    if (data->code != 354) {
      ApplyToAccepted(&result, replies, *data);
      co_await Quit();
      co_return result;
    }
    sent = co_await Send(DotStuff(body), 2 * options_.command_timeout);
    if (!sent) co_return Lost(std::move(result), "message content");
    // RFC 5321 §4.5.3.2.6: up to 10 minutes for the reply to the final dot.
    std::optional<SmtpReply> done = co_await ReadReply(2 * options_.command_timeout);
    if (!done) co_return Lost(std::move(result), "end of data");
    ApplyToAccepted(&result, replies, *done);
    co_await Quit();
    co_return result;
  }

 private:
  std::chrono::milliseconds Timeout(absl::Duration d) const {
    absl::Duration left = options_.deadline - absl::Now();
    d = std::max(std::min(d, left), absl::Milliseconds(1));
    return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
  }

  asio::awaitable<bool> Connect(SessionResult* result) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::socket socket(executor);
    asio::steady_timer timer(executor, Timeout(options_.connect_timeout));
    // Binding a source address from a pool goes here (before connect).
    auto which = co_await (socket.async_connect(endpoint_, kTuple) || timer.async_wait(kTuple));
    std::string error;
    if (which.index() == 1) {
      error = "timed out";
    } else if (auto [ec] = std::get<0>(which); ec) {
      error = ec.message();
    }
    if (!error.empty()) {
      result->failure =
          LocalReply("4.4.1", absl::StrCat("cannot connect to ", where_, ": ", error));
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
        "4.4.2", absl::StrCat("lost ", where_, " during ", std::string(stage), ": ", last_error_));
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
  std::shared_ptr<net::Stream> stream_;
  std::string last_error_;
};

}  // namespace

SmtpReply LocalReply(std::string enhanced, std::string text) {
  SmtpReply reply;
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
