// mailctl queue list|show|retry|delete|hold|release: the outbound queue of outbound-relay.
#include "absl/strings/str_cat.h"
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {
namespace {

constexpr char kQueueUsage[] =
    "queue list [--state=STATE] [--limit=N] | queue show QUEUE_ID | "
    "queue retry|delete|hold|release QUEUE_ID [--recipient=ADDRESS]";

}  // namespace

int Cli::Queue(const Args& args) {
  if (args.size() == 1 && args[0] == "list") {
    v1::ListQueueRequest req;
    req.set_state(options_.state);
    req.set_limit(options_.limit);
    v1::ListQueueResponse resp;
    grpc::Status s = Relay().ListQueue(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
    if (resp.entries().empty()) {
      out_ << "the queue is empty\n";
      return kExitOk;
    }
    Table table({"QUEUE ID", "SENDER", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "CAUSE",
                 "LAST REPLY"});
    for (const v1::QueueEntry& e : resp.entries()) {
      table.Add({e.queue_id(), e.sender().empty() ? "<>" : e.sender(),
                 e.local() ? e.recipient() + " (local)" : e.recipient(), e.state(),
                 std::to_string(e.attempts()), FormatTime(e.next_attempt_unix()),
                 e.cause().empty() ? "-" : e.cause(), e.last_reply()});
    }
    table.Print(out_);
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "show") {
    v1::ShowMessageRequest req;
    req.set_queue_id(args[1]);
    v1::ShowMessageResponse resp;
    grpc::Status s = Relay().ShowMessage(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
    out_ << "queue id:    " << resp.queue_id() << "\n"
         << "sender:      " << (resp.sender().empty() ? "<>" : resp.sender()) << "\n"
         << "queued at:   " << FormatTime(resp.created_unix()) << "\n"
         << "size:        " << FormatBytes(resp.size()) << "\n";
    if (!resp.envelope_id().empty()) out_ << "envelope id: " << resp.envelope_id() << "\n";
    if (!resp.ret().empty()) out_ << "ret:         " << resp.ret() << "\n";
    out_ << "\nRecipients\n";
    Table rcpts({"RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "CAUSE", "LAST REPLY"});
    for (const v1::QueueEntry& e : resp.recipients()) {
      rcpts.Add({e.local() ? e.recipient() + " (local)" : e.recipient(), e.state(),
                 std::to_string(e.attempts()), FormatTime(e.next_attempt_unix()),
                 e.cause().empty() ? "-" : e.cause(), e.last_reply()});
    }
    rcpts.Print(out_);
    if (!resp.attempts().empty()) {
      out_ << "\nAttempts\n";
      Table attempts({"TIME", "RECIPIENT", "OUTCOME", "RELAY", "TLS", "CAUSE", "REPLY"});
      for (const v1::AttemptInfo& a : resp.attempts()) {
        std::string relay =
            a.ip().empty() ? a.mx_host() : absl::StrCat(a.mx_host(), "[", a.ip(), "]");
        attempts.Add({FormatTime(a.at_unix()), a.recipient(), a.outcome(),
                      relay.empty() ? "-" : relay, a.tls() ? "yes" : "no",
                      a.cause().empty() ? "-" : a.cause(), a.reply()});
      }
      attempts.Print(out_);
    }
    out_ << "\nHeaders\n" << resp.headers();
    if (!resp.headers().empty() && resp.headers().back() != '\n') out_ << "\n";
    return kExitOk;
  }
  if (args.size() == 2 &&
      (args[0] == "retry" || args[0] == "delete" || args[0] == "hold" || args[0] == "release")) {
    v1::QueueControlRequest req;
    req.set_queue_id(args[1]);
    req.set_recipient(options_.recipient);
    v1::QueueControlResponse resp;
    auto ctx = Context();
    grpc::Status s;
    if (args[0] == "retry") s = Relay().Retry(ctx.get(), req, &resp);
    if (args[0] == "delete") s = Relay().Delete(ctx.get(), req, &resp);
    if (args[0] == "hold") s = Relay().Hold(ctx.get(), req, &resp);
    if (args[0] == "release") s = Relay().Release(ctx.get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kOutboundRelay);
    if (resp.affected() == 0) {
      const char* why = args[0] == "release"  ? "none is held"
                        : args[0] == "delete" ? "none can be deleted now (in delivery?)"
                                              : "none is waiting in the queue";
      return FailText(absl::StrCat(args[0], " ", args[1], ": no recipient changed (", why, ")"));
    }
    const char* done = args[0] == "retry"    ? "due now"
                       : args[0] == "delete" ? "deleted"
                       : args[0] == "hold"   ? "held"
                                             : "released";
    out_ << args[1] << ": " << resp.affected() << " recipient" << (resp.affected() == 1 ? "" : "s")
         << " " << done << "\n";
    return kExitOk;
  }
  return Usage(kQueueUsage);
}

}  // namespace mail::mailctl
