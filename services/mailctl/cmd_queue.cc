// mailctl queue list: the outbound queue of outbound-relay.
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

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
    Table table(
        {"QUEUE ID", "SENDER", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"});
    for (const v1::QueueEntry& e : resp.entries()) {
      table.Add({e.queue_id(), e.sender().empty() ? "<>" : e.sender(), e.recipient(), e.state(),
                 std::to_string(e.attempts()), FormatTime(e.next_attempt_unix()), e.last_reply()});
    }
    table.Print(out_);
    return kExitOk;
  }
  return Usage("queue list [--state=STATE] [--limit=N]");
}

}  // namespace mail::mailctl
