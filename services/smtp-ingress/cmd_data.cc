// DATA (RFC 5321 §4.1.1.4): reads the message through smtp::DataReader, prepends the
// Received: trace header (§4.4), and hands it off in ONE call keyed by a fresh
// transaction id: only local recipients to MailboxService.Deliver (the body once),
// otherwise RelayService.Enqueue, with local recipients of a mixed transaction marked
// `local` (the relay delivers those through Deliver). On the submission ports
// a missing Date: or Message-ID: is added. 250 only after every
// hand-off has committed (ARCHITECTURE.md §1).

// GCC 12 reports -Wmismatched-new-delete on the coroutine frames of HandOff once the
// WithRetry template is inlined here. It is a false positive: Asio's awaitable frames
// pair their own operator new and delete.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/libs/base/log.h"
#include "services/libs/base/uuid.h"
#include "services/libs/mail/date.h"
#include "services/libs/mail/header.h"
#include "services/libs/rpc/status_map.h"
#include "services/libs/smtp/data_reader.h"
#include "services/libs/smtp/received.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {
namespace {

smtp::Reply FromRpc(const rpc::SmtpReply& r) {
  return smtp::Reply::Make(r.code, r.enhanced, r.text);
}

}  // namespace

asio::awaitable<void> Session::CmdData(const smtp::Command& cmd) {
  if (!in_mail_) {
    Reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  if (rcpts_.empty()) {
    // RFC 2920 §3.1: with pipelining, DATA after only rejected RCPTs gets 554.
    if (rcpt_tried_) {
      Reply(554, "5.5.1", "Error: no valid recipients");
    } else {
      Reply(503, "5.5.1", "Error: need RCPT command");
    }
    co_return;
  }
  if (!cmd.args.empty()) {
    Reply(501, "5.5.4", "Syntax: DATA");
    co_return;
  }
  if (bdat_) {
    // RFC 3030 §2: DATA and BDAT do not mix in one transaction.
    Reply(503, "5.5.1", "Error: DATA after BDAT");
    co_return;
  }
  Reply(354, "", "End data with <CR><LF>.<CR><LF>");
  bool ok = co_await Flush();  // not in the condition: GCC 12 miscompiles that
  if (!ok) {
    closing_ = true;
    co_return;
  }
  smtp::DataReader reader(config_.max_message_size);
  for (;;) {
    std::string line;
    bool crlf = true;
    net::ReadResult r =
        co_await stream_->ReadLine(&line, reader.MaxNextLine(), config_.idle_timeout, &crlf);
    if (r == net::ReadResult::kClosed) {
      base::LogInfo("connection lost in DATA", {{"session", id_}});
      closing_ = true;
      co_return;
    }
    if (r == net::ReadResult::kTimeout && stopping_ != nullptr && stopping_->load()) {
      CloseWith(421, "4.3.2", "Service shutting down");  // nothing was acknowledged
      co_return;
    }
    if (r == net::ReadResult::kTimeout) {
      Reject("timeout");
      CloseWith(421, "4.4.2", "Error: timeout exceeded");
      co_return;
    }
    if (r == net::ReadResult::kTooLong) {
      reader.AddSkippedLine();
      continue;
    }
    if (reader.AddLine(line, crlf) == smtp::DataReader::State::kDone) break;
  }
  if (reader.too_large()) {
    Reject("message_too_large");
    Reply(552, "5.3.4",
          absl::StrCat("Message too large; ", config_.max_message_size, " bytes max"));
    ResetTransaction();
    co_return;
  }
  if (reader.saw_bare_lf()) {
    base::LogDebug("bare LF in DATA, stored as CRLF", {{"session", id_}});
  }
  Reply(co_await HandOff(std::move(reader.body()), reader.received()));
  ResetTransaction();
}

asio::awaitable<smtp::Reply> Session::HandOff(std::string body, size_t received_size) {
  const auto start = std::chrono::steady_clock::now();
  const std::string txid = base::NewUuid();

  smtp::ReceivedInfo info;
  info.helo = helo_;
  // RFC 5321 §4.4 "from <helo> (<verified name> [<ip>])"; "unknown" as Postfix writes
  // when the PTR name is missing or not forward-confirmed.
  info.client_rdns = co_await ClientName();
  info.client_ip = stream_->peer_ip();
  info.hostname = config_.hostname;
  info.esmtp = esmtp_;
  info.tls = stream_->is_tls();
  info.tls_version = stream_->tls_version();
  info.tls_cipher = stream_->tls_cipher();
  info.authenticated = !account_.empty();
  info.auth_user = account_;
  info.smtputf8 = smtputf8_;
  info.id = txid;
  // Only a single recipient is named: listing several would reveal Bcc recipients.
  if (rcpts_.size() == 1) info.for_rcpt = rcpts_[0];
  info.when = absl::Now();
  std::string message = smtp::FormatReceived(info);
  if (role_ != Role::kMx) {
    // RFC 6409 §8.2/8.3: a submission server may add the Date: and Message-ID: a
    // client left out (mail relayed on port 25 is never touched).
    if (!mail::HasHeaderField(body, "Date")) {
      absl::StrAppend(&message, "Date: ", mail::FormatRfc5322Date(info.when), "\r\n");
    }
    if (!mail::HasHeaderField(body, "Message-ID")) {
      absl::StrAppend(&message, "Message-ID: <", txid, "@", config_.hostname, ">\r\n");
    }
  }
  message += body;
  std::string().swap(body);

  v1::Envelope envelope;
  envelope.set_transaction_id(txid);
  envelope.set_sender(sender_.null ? "" : sender_.mailbox.ToString());
  envelope.set_smtputf8(smtputf8_);
  envelope.set_ret(ret_);
  envelope.set_envelope_id(envid_);
  envelope.set_size_hint(message.size());

  const std::string sender = envelope.sender();
  if (!local_rcpts_.empty() && !remote_rcpts_.empty()) {
    // A mixed transaction is ONE hand-off: outbound-relay queues every recipient and
    // delivers those marked local through MailboxService.Deliver with this
    // transaction id. Two hand-offs could not be atomic: a failed Enqueue after a
    // committed Deliver would make the client resend, and the local recipients would
    // get the message twice.
    v1::Envelope mixed = envelope;
    for (v1::EnvelopeRecipient r : local_rcpts_) {
      r.set_local(true);
      *mixed.add_recipients() = std::move(r);
    }
    for (const v1::EnvelopeRecipient& r : remote_rcpts_) *mixed.add_recipients() = r;
    auto enqueue = [&] { return backends_.relay.Enqueue(mixed, message); };
    auto resp = co_await WithRetry(enqueue);
    if (!resp.ok()) {
      base::LogWarning("Enqueue failed",
                       {{"session", id_}, {"queue_id", txid}, {"error", resp.status().ToString()}});
      Reject("backend_error");
      co_return FromRpc(rpc::SmtpReplyForError(resp.status()));
    }
  } else if (!local_rcpts_.empty()) {
    int delivered_local = 0;
    v1::Envelope local = envelope;
    for (const v1::EnvelopeRecipient& r : local_rcpts_) *local.add_recipients() = r;
    // Each attempt gets its own copy of the body (the client interface takes it by
    // value); a retry after UNAVAILABLE is safe because Deliver is idempotent.
    auto deliver = [&] { return backends_.mailbox.Deliver(local, message); };
    auto resp = co_await WithRetry(deliver);
    if (!resp.ok()) {
      rpc::SmtpReply r = rpc::SmtpReplyForError(resp.status());
      base::LogWarning("Deliver failed",
                       {{"session", id_}, {"queue_id", txid}, {"error", resp.status().ToString()}});
      Reject("backend_error");
      co_return FromRpc(r);
    }
    int over_quota = 0, unknown = 0;
    for (const v1::RecipientResult& res : resp->results()) {
      switch (res.status()) {
        case v1::DELIVERY_STATUS_DELIVERED:
        case v1::DELIVERY_STATUS_DUPLICATE:
          ++delivered_local;
          break;
        case v1::DELIVERY_STATUS_OVER_QUOTA:
          ++over_quota;
          base::LogWarning("recipient over quota at delivery",
                           {{"session", id_}, {"queue_id", txid}, {"rcpt", res.address()}});
          break;
        default:
          ++unknown;
          base::LogWarning("recipient not delivered",
                           {{"session", id_}, {"queue_id", txid}, {"rcpt", res.address()}});
          break;
      }
    }
    if (delivered_local == 0 && (over_quota > 0 || unknown > 0)) {
      // Nothing was stored anywhere: refuse the whole message so the sender learns.
      Reject(over_quota > 0 ? "mailbox_full" : "unknown_user");
      co_return over_quota > 0 ? smtp::Reply::Make(552, "5.2.2", "Mailbox full")
                               : smtp::Reply::Make(550, "5.1.1", "User unknown");
    }
    // Some recipients failed after others were stored: the 250 stands for those
    // stored; the failures are logged (a DSN for them is future work).
  } else if (!remote_rcpts_.empty()) {
    v1::Envelope remote = envelope;
    for (const v1::EnvelopeRecipient& r : remote_rcpts_) *remote.add_recipients() = r;
    auto enqueue = [&] { return backends_.relay.Enqueue(remote, message); };
    auto resp = co_await WithRetry(enqueue);
    if (!resp.ok()) {
      base::LogWarning("Enqueue failed",
                       {{"session", id_}, {"queue_id", txid}, {"error", resp.status().ToString()}});
      Reject("backend_error");
      co_return FromRpc(rpc::SmtpReplyForError(resp.status()));
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (metrics_ != nullptr) {
    metrics_->Accepted(seconds, received_size, static_cast<int>(local_rcpts_.size()),
                       static_cast<int>(remote_rcpts_.size()));
  }
  base::LogInfo("accepted", {{"session", id_},
                             {"queue_id", txid},
                             {"sender", sender},
                             {"local_rcpts", absl::StrCat(local_rcpts_.size())},
                             {"remote_rcpts", absl::StrCat(remote_rcpts_.size())},
                             {"size", absl::StrCat(received_size)},
                             {"account", account_}});
  co_return smtp::Reply::Make(250, "2.0.0", absl::StrCat("Ok: queued as ", txid));
}

}  // namespace mail::smtp_ingress
