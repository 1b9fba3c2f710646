// Command dispatch, error reporting and channels of mailctl; see commands.h. The
// commands themselves are in cmd_*.cc.
#include "services/mailctl/commands.h"

#include <chrono>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "services/libs/rpc/channel.h"
#include "services/mailctl/cli.h"

namespace mail::mailctl {

const char kUsage[] =
    R"(mailctl: administration of the mail suite.

Usage: mailctl [--mailbox_store=HOST:PORT] [--outbound_relay=HOST:PORT] [--timeout=10s]
               COMMAND ARGS...

Domains
  domain add NAME
  domain list
  domain remove NAME [--force]           --force also removes its accounts and mail
Accounts
  user add ADDRESS [--password-stdin] [--quota=BYTES]
                                         without --password-stdin a random password is
                                         generated and printed once
  user list [DOMAIN]
  user remove ADDRESS
  user senders ADDRESS                   the envelope senders ADDRESS may use
  user passwd ADDRESS [--password-stdin]
  user quota ADDRESS BYTES               BYTES: 0 (unlimited), 500M, 2G, ...
Aliases
  alias add ADDRESS TARGET               ADDRESS may be @domain (catch-all); add the
                                         same ADDRESS again for more targets
  alias list [DOMAIN]
  alias remove ADDRESS [TARGET]          without TARGET removes every target
Outbound queue
  queue list [--state=STATE] [--limit=N]  STATE: queued, active, deferred, held,
                                         delivered, failed
  queue show QUEUE_ID                    envelope, recipients, attempts, headers
  queue retry|delete|hold|release QUEUE_ID [--recipient=ADDRESS]
  bounces report [--since=24h]           failures by cause, top failing domains
  suppression list [--limit=N]
  suppression add ADDRESS [--reason=TEXT] [--ttl=720h]
  suppression remove ADDRESS
Checks and mail
  auth ADDRESS --password-stdin          checks a password as a login would
  lookup ADDRESS                         how an envelope recipient resolves
  mailbox list ADDRESS
  message list ADDRESS [MAILBOX]
  message fetch ADDRESS MAILBOX UID      writes the raw message to stdout
  message structure ADDRESS MAILBOX UID  the stored ENVELOPE, BODYSTRUCTURE, BODY and parts
  message expunge ADDRESS MAILBOX UID...
  deliver RECIPIENT... [--sender=ADDR] [--transaction_id=UUID] < message
                                         stores a message in local INBOXes
Operations
  health ADDRESS [SERVICE]               gRPC health check of any process (its
                                         --grpc_address); exit 0 when SERVING
  help

Exit status: 0 done, 1 refused by the server, 2 usage error, 3 a server is unreachable.
)";

int Cli::Run(const Args& args) {
  if (args.empty()) {
    err_ << "mailctl: no command; try `mailctl help`\n";
    return kExitUsage;
  }
  const std::string& command = args[0];
  Args rest(args.begin() + 1, args.end());
  if (command == "help" || command == "-h") {
    out_ << kUsage;
    return kExitOk;
  }
  if (command == "domain") return Domain(rest);
  if (command == "user") return User(rest);
  if (command == "alias") return Alias(rest);
  if (command == "queue") return Queue(rest);
  if (command == "bounces") return Bounces(rest);
  if (command == "suppression") return Suppression(rest);
  if (command == "auth") return Auth(rest);
  if (command == "lookup") return Lookup(rest);
  if (command == "mailbox") return Mailbox(rest);
  if (command == "message") return Message(rest);
  if (command == "deliver") return Deliver(rest);
  if (command == "health") return Health(rest);
  err_ << "mailctl: unknown command \"" << command << "\"; try `mailctl help`\n";
  return kExitUsage;
}

int Cli::Usage(const std::string& synopsis) {
  err_ << "mailctl: usage: mailctl " << synopsis << "\n";
  return kExitUsage;
}

int Cli::FailText(const std::string& message) {
  err_ << "mailctl: " << message << "\n";
  return kExitFailed;
}

int Cli::Fail(const grpc::Status& status, Backend backend) {
  const bool store = backend == Backend::kMailboxStore;
  const char* name = store ? "mailbox-store" : "outbound-relay";
  const std::string& target = store ? options_.mailbox_store : options_.outbound_relay;
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      // The server answered but its database did not (rpc/status_map keeps the text).
      if (absl::StartsWith(message, "postgresql:")) {
        err_ << "mailctl: " << name << " at " << target << " cannot use its database (" << message
             << ")\n";
      } else {
        err_ << "mailctl: cannot reach " << name << " at " << target << " (" << message << ")\n";
      }
      return kExitUnreachable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      err_ << "mailctl: " << name << " at " << target << " did not answer within "
           << absl::FormatDuration(options_.timeout) << "\n";
      return kExitUnreachable;
    case grpc::StatusCode::UNIMPLEMENTED:
      err_ << "mailctl: " << name << " at " << target << " does not implement this command yet ("
           << message << ")\n";
      return kExitFailed;
    default:
      err_ << "mailctl: " << (message.empty() ? "request failed" : message) << "\n";
      return kExitFailed;
  }
}

std::unique_ptr<grpc::ClientContext> Cli::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  return context;
}

bool Cli::ReadOrGeneratePassword(const std::string& address, std::string* password,
                                 bool* generated) {
  *generated = !options_.password_stdin;
  if (*generated) {
    *password = RandomPassword();
    return true;
  }
  *password = TrimPasswordLine(
      std::string(std::istreambuf_iterator<char>(in_), std::istreambuf_iterator<char>()));
  if (password->empty()) {
    err_ << "mailctl: no password on stdin for " << address << "\n";
    return false;
  }
  return true;
}

v1::AccountService::Stub& Cli::Accounts() {
  if (store_channel_ == nullptr) store_channel_ = rpc::MakeChannel(options_.mailbox_store);
  if (accounts_ == nullptr) accounts_ = v1::AccountService::NewStub(store_channel_);
  return *accounts_;
}

v1::MailboxService::Stub& Cli::Mailboxes() {
  if (store_channel_ == nullptr) store_channel_ = rpc::MakeChannel(options_.mailbox_store);
  if (mailboxes_ == nullptr) mailboxes_ = v1::MailboxService::NewStub(store_channel_);
  return *mailboxes_;
}

v1::RelayService::Stub& Cli::Relay() {
  if (relay_channel_ == nullptr) relay_channel_ = rpc::MakeChannel(options_.outbound_relay);
  if (relay_ == nullptr) relay_ = v1::RelayService::NewStub(relay_channel_);
  return *relay_;
}

}  // namespace mail::mailctl
