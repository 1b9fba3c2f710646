// mailctl: the administration command line of the mail suite. Talks to mailbox-store
// (domains, accounts, aliases, mail) and outbound-relay (queue) with synchronous gRPC
// calls. Flags are defined here and nowhere else.
#include <sodium.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/libs/base/flags.h"
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

ABSL_FLAG(std::string, mailbox_store, "127.0.0.1:50051", "gRPC target of mailbox-store.");
ABSL_FLAG(std::string, outbound_relay, "127.0.0.1:50052", "gRPC target of outbound-relay.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call.");
ABSL_FLAG(bool, password_stdin, false,
          "Read the password from standard input (user add, user passwd, auth).");
ABSL_FLAG(bool, force, false, "domain remove: also remove the domain's accounts and mail.");
ABSL_FLAG(std::string, quota, "", "user add: quota in bytes, K/M/G/T suffixes; 0 = unlimited.");
ABSL_FLAG(std::string, transaction_id, "", "deliver: transaction id (UUID); default a new one.");
ABSL_FLAG(std::string, sender, "", "deliver: envelope sender; default <>.");
ABSL_FLAG(std::string, state, "", "queue list: only recipients in this state.");
ABSL_FLAG(uint32_t, limit, 100, "queue list: at most this many entries.");
ABSL_FLAG(std::string, recipient, "", "queue retry|delete|hold|release: only this recipient.");
ABSL_FLAG(absl::Duration, since, absl::Hours(24), "bounces report: the period to report.");
ABSL_FLAG(std::string, reason, "", "suppression add: a note kept with the entry.");
ABSL_FLAG(absl::Duration, ttl, absl::ZeroDuration(),
          "suppression add: how long; 0 = outbound-relay's --suppression_ttl.");

int main(int argc, char** argv) {
  std::vector<std::string> args = mail::base::ParseFlags(argc, argv, mail::mailctl::kUsage);
  if (sodium_init() < 0) {
    std::cerr << "mailctl: libsodium initialisation failed\n";
    return mail::mailctl::kExitFailed;
  }
  mail::mailctl::Options options;
  options.mailbox_store = absl::GetFlag(FLAGS_mailbox_store);
  options.outbound_relay = absl::GetFlag(FLAGS_outbound_relay);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  options.password_stdin = absl::GetFlag(FLAGS_password_stdin);
  options.force = absl::GetFlag(FLAGS_force);
  options.quota = absl::GetFlag(FLAGS_quota);
  options.transaction_id = absl::GetFlag(FLAGS_transaction_id);
  options.sender = absl::GetFlag(FLAGS_sender);
  options.state = absl::GetFlag(FLAGS_state);
  options.limit = absl::GetFlag(FLAGS_limit);
  options.recipient = absl::GetFlag(FLAGS_recipient);
  options.since = absl::GetFlag(FLAGS_since);
  options.reason = absl::GetFlag(FLAGS_reason);
  options.ttl = absl::GetFlag(FLAGS_ttl);
  if (options.timeout <= absl::ZeroDuration()) {
    std::cerr << "mailctl: --timeout must be positive\n";
    return mail::mailctl::kExitUsage;
  }
  mail::mailctl::Cli cli(options, std::cin, std::cout, std::cerr);
  int code = cli.Run(args);
  std::cout.flush();
  return code;
}
