// imap-access settings, validated from flags in main.cc; read-only once sessions run,
// so every session and thread may read it without locking.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_CONFIG_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_CONFIG_H_

#include <chrono>

#include "services/libs/imap/parser.h"

namespace mail::net {
class AuthLimiter;
}  // namespace mail::net

namespace mail::imap_access {

class AccountSessions;
class SharedWatches;
class SharedReads;
class SnapshotCache;

struct Config {
  // RFC 3501 §5.4: the autologout timer is at least 30 minutes.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  std::chrono::milliseconds tls_handshake_timeout = std::chrono::seconds(30);
  // LOGIN and AUTHENTICATE before TLS. Off by default: LOGINDISABLED is advertised
  // and the password never crosses the network in clear (RFC 3501 §6.2.3, RFC 8314).
  bool allow_plaintext_auth = false;
  // Pause before a failed login is answered, times the session's failures so far (up
  // to 5×), to slow password guessing.
  std::chrono::milliseconds auth_failure_delay = std::chrono::seconds(1);
  // Failed logins in one session before "* BYE" and close.
  int max_auth_failures = 3;
  // BAD responses in a row before "* BYE" and close: a client that speaks no IMAP.
  int max_bad_commands = 20;
  // Line, literal and command size limits of the parser.
  imap::ParserLimits limits;
  // Shared by every session (thread-safe, owned by main; null: no such limit).
  // Failed logins across sessions: an IP refused for a while, an account slowed down.
  net::AuthLimiter* auth_limiter = nullptr;
  // IDLE's mailbox watches, one stream per mailbox for the whole process
  // (shared_watches.h); null: each session opens its own.
  SharedWatches* watches = nullptr;
  // Mailbox re-reads (SELECT, and the sync after a change), identical ones coalesced
  // (shared_reads.h); null: each session calls mailbox-store itself.
  SharedReads* reads = nullptr;
  // Snapshots of recently selected mailboxes, for delta SELECTs (snapshot_cache.h);
  // null: every SELECT lists the whole mailbox.
  SnapshotCache* snapshots = nullptr;
  // Concurrent sessions per account (--max_sessions_per_account).
  AccountSessions* account_sessions = nullptr;
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_CONFIG_H_
