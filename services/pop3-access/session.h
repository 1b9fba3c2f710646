// One POP3 session (RFC 1939) on one connection: the AUTHORIZATION, TRANSACTION and
// UPDATE states, a snapshot of the INBOX taken at login, and the deletions QUIT
// commits. Runs as one coroutine on the connection's strand; it owns its Stream and
// borrows the mailbox client, config and metrics, which must outlive it.
// Commands live in cmd_auth.cc (AUTHORIZATION) and cmd_transaction.cc.
#ifndef MAILSUITE_SERVICES_POP3_ACCESS_SESSION_H_
#define MAILSUITE_SERVICES_POP3_ACCESS_SESSION_H_

#include <asio/awaitable.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/net/stream.h"
#include "services/libs/pop3/command.h"
#include "services/pop3-access/config.h"
#include "services/pop3-access/metrics.h"

namespace mail::pop3_access {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `implicit_tls`: port 995, the handshake comes before the greeting. `metrics` may
  // be null (tests). When `*stopping` turns true the session answers its next
  // command with -ERR [SYS/TEMP] and closes without deleting anything.
  Session(const Config& config, bool implicit_tls, std::shared_ptr<net::Stream> stream,
          clients::MailboxClient& mailbox, Metrics* metrics, const std::atomic<bool>* stopping);

  // Greets, serves commands until QUIT, an error, a timeout or the peer going away,
  // then closes the connection.
  asio::awaitable<void> Run();

  // Called on the session's strand when the server drains: a session waiting for a
  // command is closed now (nothing is committed), a busy one at its next command.
  void WakeForShutdown();

  const std::string& id() const { return id_; }

 private:
  enum class State { kAuthorization, kTransaction, kUpdate };
  struct Message {
    uint32_t uid = 0;
    uint64_t size = 0;
    bool deleted = false;
  };

  asio::awaitable<void> Dispatch(const pop3::Command& cmd);

  // AUTHORIZATION (cmd_auth.cc).
  void CmdCapa();
  asio::awaitable<void> CmdStls();
  void CmdUser(const pop3::Command& cmd);
  asio::awaitable<void> CmdPass(const pop3::Command& cmd);
  asio::awaitable<void> CmdAuth(const pop3::Command& cmd);
  void CmdApop();
  // Checks the password and opens the maildrop; replies either way.
  asio::awaitable<void> Login(const std::string& user, const std::string& password);
  // The process-wide failed-login limits (Config::auth_limiter): false after queueing
  // the refusal of a blocked IP; otherwise waits out an attacked account's delay.
  asio::awaitable<bool> PassAuthLimits(const std::string& user);
  bool plaintext_auth_allowed() const;

  // TRANSACTION (cmd_transaction.cc).
  void CmdStat();
  void CmdList(const pop3::Command& cmd);
  asio::awaitable<void> CmdRetr(const pop3::Command& cmd);
  asio::awaitable<void> CmdTop(const pop3::Command& cmd);
  void CmdDele(const pop3::Command& cmd);
  void CmdRset();
  void CmdUidl(const pop3::Command& cmd);
  asio::awaitable<void> CmdQuit();

  // The message `arg` names, or null after queueing "-ERR" (not a number, out of
  // range, or deleted).
  Message* FindMessage(std::string_view arg);
  // FetchBody for one message; null after queueing "-ERR" on failure.
  asio::awaitable<std::unique_ptr<std::string>> FetchBody(const Message& message);
  // Reads `message` and the small messages after it in one FetchBodies call into
  // prefetched_; any failure leaves it to FetchBody's single read.
  asio::awaitable<void> Prefetch(const Message& message);
  std::string UniqueId(const Message& message) const;
  void CountVisible(uint32_t* count, uint64_t* octets) const;

  // Queues a response; Flush() writes what is queued. Error responses count towards
  // max_errors; a success resets the count.
  void Reply(std::string response);
  void Error(std::string_view code, std::string_view text);
  asio::awaitable<bool> Flush();

  const Config& config_;
  const bool implicit_tls_;
  std::shared_ptr<net::Stream> stream_;
  clients::MailboxClient& mailbox_;
  Metrics* metrics_;
  const std::atomic<bool>* stopping_;
  std::string id_;

  std::string out_;
  bool closing_ = false;
  bool waiting_for_command_ = false;
  int errors_ = 0;

  State state_ = State::kAuthorization;
  std::string user_;  // from USER, waiting for PASS
  int auth_failures_ = 0;
  std::string account_;
  uint32_t uidvalidity_ = 0;
  std::vector<Message> messages_;  // message n is messages_[n - 1]
  // Bodies read ahead by FetchBodies (uid → body), each dropped once served; at
  // most kPrefetchBytes in all.
  absl::flat_hash_map<uint32_t, std::string> prefetched_;
  // The maildrop lock of the TRANSACTION state; released when the session ends.
  std::unique_ptr<clients::MaildropLock> lock_;
};

}  // namespace mail::pop3_access

#endif  // MAILSUITE_SERVICES_POP3_ACCESS_SESSION_H_
