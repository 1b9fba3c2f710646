// The mailctl commands: each turns its arguments into synchronous gRPC calls to
// mailbox-store or outbound-relay and prints the result. One Cli per process run,
// single-threaded; it owns its channels and writes only to the streams it was given.
#ifndef MAILSUITE_SERVICES_MAILCTL_COMMANDS_H_
#define MAILSUITE_SERVICES_MAILCTL_COMMANDS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mail/v1/account_service.grpc.pb.h"
#include "mail/v1/mailbox_service.grpc.pb.h"
#include "mail/v1/relay_service.grpc.pb.h"

namespace mail::mailctl {

// Everything main() read from flags.
struct Options {
  std::string mailbox_store = "127.0.0.1:50051";
  std::string outbound_relay = "127.0.0.1:50052";
  absl::Duration timeout = absl::Seconds(10);
  bool password_stdin = false;
  bool force = false;
  std::string quota;                       // "" = not given
  std::string transaction_id;              // deliver; "" = a new one
  std::string sender;                      // deliver
  std::string state;                       // queue list
  uint32_t limit = 100;                    // queue list
  std::string recipient;                   // queue retry|delete|hold|release: one recipient only
  absl::Duration since = absl::Hours(24);  // bounces report
  std::string reason;                      // suppression add
  absl::Duration ttl;                      // suppression add; 0 = the relay's default
};

// The full usage text (`mailctl help`).
extern const char kUsage[];

class Cli {
 public:
  Cli(Options options, std::istream& in, std::ostream& out, std::ostream& err)
      : options_(std::move(options)), in_(in), out_(out), err_(err) {}
  // Runs one command (args without argv[0]); returns the process exit code.
  int Run(const std::vector<std::string>& args);

 private:
  enum class Backend { kMailboxStore, kOutboundRelay };
  using Args = std::vector<std::string>;

  int Domain(const Args& args);
  int User(const Args& args);
  int Alias(const Args& args);
  int Queue(const Args& args);
  int Bounces(const Args& args);      // cmd_bounces.cc
  int Suppression(const Args& args);  // cmd_suppression.cc
  int Auth(const Args& args);
  int Lookup(const Args& args);
  int Mailbox(const Args& args);
  int Message(const Args& args);
  int Deliver(const Args& args);
  int Health(const Args& args);  // cmd_health.cc

  // Prints "mailctl: usage: mailctl <synopsis>" and returns kExitUsage.
  int Usage(const std::string& synopsis);
  // Prints one line for a failed call and returns its exit code.
  int Fail(const grpc::Status& status, Backend backend);
  int FailText(const std::string& message);
  // A context with the per-call deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;
  // The password from stdin (--password-stdin) or a new random one, printed once.
  bool ReadOrGeneratePassword(const std::string& address, std::string* password, bool* generated);

  v1::AccountService::Stub& Accounts();
  v1::MailboxService::Stub& Mailboxes();
  v1::RelayService::Stub& Relay();

  Options options_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> store_channel_, relay_channel_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::MailboxService::Stub> mailboxes_;
  std::unique_ptr<v1::RelayService::Stub> relay_;
};

}  // namespace mail::mailctl

#endif  // MAILSUITE_SERVICES_MAILCTL_COMMANDS_H_
