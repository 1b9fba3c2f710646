// One IMAP session (RFC 3501) on one connection: reads commands (lines and the
// literals they announce) through the imap::CommandParser, checks each against the
// session state, runs its handler, and writes the responses. Runs as one coroutine on
// the connection's strand; it owns its Stream and borrows the mailbox client, config
// and metrics, which must outlive it. Each command's handler lives in cmd_<name>.cc.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SESSION_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SESSION_H_

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/imap-access/config.h"
#include "services/imap-access/metrics.h"
#include "services/imap-access/selected.h"
#include "services/imap-access/shared_watches.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/imap/parser.h"
#include "services/libs/net/stream.h"

namespace mail::imap_access {

// Reads the bodies of a list of messages of one mailbox for FETCH and SEARCH, in the
// order listed, each once: small ones ahead of need in FetchBodies batches (one call
// instead of one FetchBody per message), the others with FetchBody. A message a batch
// left out (too large, past the store's reply limit, expunged) is read with FetchBody,
// and after a failed FetchBodies every message is, so Next() returns exactly what
// FetchBody would: the body, NOT_FOUND for an expunged message, or the backend error.
// Below kMinBatch messages no batch is made: little to gain, and one or two bodies
// keep the per-message path. Holds at most one batch (max_batch_bytes, or one message
// of up to kMaxBatchedMessage). Used from one coroutine; borrows the client, which
// must outlive it.
class BodyReader {
 public:
  static constexpr size_t kMinBatch = 3;
  static constexpr uint64_t kMaxBatchedMessage = 256 * 1024;
  struct Wanted {
    uint32_t uid;
    uint64_t size;  // from the snapshot; only to plan the batches
  };
  // With `headers_only`, Next() may return just the header section (through its blank
  // line) of each message, which is all HEADER / HEADER.FIELDS of the message need.
  BodyReader(clients::MailboxClient& mailbox, std::string account, std::string mailbox_name,
             std::vector<Wanted> wanted, int max_batch_messages = 64,
             uint64_t max_batch_bytes = 1 << 20, bool headers_only = false);

  // The body of the next message of the list; call it once per message, in order.
  asio::awaitable<absl::StatusOr<std::string>> Next();

  int batch_calls() const { return batch_calls_; }

 private:
  // Asks FetchBodies for the small messages from wanted_[next_] on.
  asio::awaitable<void> ReadBatch();

  clients::MailboxClient& mailbox_;
  const std::string account_, mailbox_name_;
  const std::vector<Wanted> wanted_;
  const int max_batch_messages_;
  const uint64_t max_batch_bytes_;
  const bool headers_only_;
  size_t next_ = 0;
  size_t planned_ = 0;  // wanted_[0, planned_) were asked for or left to FetchBody
  bool batching_;
  std::map<uint32_t, std::string> batch_;  // uid → body, each dropped once served
  int batch_calls_ = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `implicit_tls`: port 993, the handshake comes before the greeting. `metrics` may
  // be null (tests). When `*stopping` turns true the session answers its next
  // command with "* BYE" and closes.
  Session(const Config& config, bool implicit_tls, std::shared_ptr<net::Stream> stream,
          clients::MailboxClient& mailbox, Metrics* metrics, const std::atomic<bool>* stopping);
  // Gives back the account's session slot (config.account_sessions).
  ~Session();

  // Greets, serves commands until LOGOUT, a fatal error, a timeout or the peer going
  // away, then closes the connection.
  asio::awaitable<void> Run();

  // Called on the session's strand when the server drains: a session waiting for a
  // command says "* BYE" and closes now, a busy one after its command.
  void WakeForShutdown();

  const std::string& id() const { return id_; }

 private:
  // RFC 3501 §3: the states a command may be valid in.
  enum State : unsigned {
    kNotAuthenticated = 1,
    kAuthenticated = 2,
    kSelected = 4,
  };
  using Handler = asio::awaitable<void> (Session::*)(const imap::Command&);

  asio::awaitable<void> Dispatch(const imap::Command& cmd);
  static asio::awaitable<void> SayByeAndClose(std::shared_ptr<Session> self);
  // Reads the literal the parser asked for and the line after it; false when the
  // connection is gone (or must go).
  asio::awaitable<bool> ReadLiteral(imap::CommandParser& parser, std::string* line);
  void ReplyParseError(const imap::ParseError& error);

  // Command handlers, one file each (cmd_<name>.cc).
  asio::awaitable<void> CmdCapability(const imap::Command& cmd);
  asio::awaitable<void> CmdNoop(const imap::Command& cmd);  // NOOP and CHECK
  asio::awaitable<void> CmdLogout(const imap::Command& cmd);
  asio::awaitable<void> CmdStarttls(const imap::Command& cmd);
  asio::awaitable<void> CmdLogin(const imap::Command& cmd);
  asio::awaitable<void> CmdAuthenticate(const imap::Command& cmd);
  asio::awaitable<void> CmdSelect(const imap::Command& cmd);  // SELECT and EXAMINE
  asio::awaitable<void> CmdList(const imap::Command& cmd);    // LIST and LSUB
  asio::awaitable<void> CmdFetch(const imap::Command& cmd);   // FETCH and UID FETCH
  asio::awaitable<void> CmdClose(const imap::Command& cmd);   // CLOSE and UNSELECT
  // CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (cmd_mailbox.cc).
  asio::awaitable<void> CmdMailbox(const imap::Command& cmd);
  asio::awaitable<void> CmdStatus(const imap::Command& cmd);
  asio::awaitable<void> CmdNamespace(const imap::Command& cmd);
  asio::awaitable<void> CmdId(const imap::Command& cmd);
  asio::awaitable<void> CmdEnable(const imap::Command& cmd);
  asio::awaitable<void> CmdStore(const imap::Command& cmd);  // STORE and UID STORE
  asio::awaitable<void> CmdAppend(const imap::Command& cmd);
  asio::awaitable<void> CmdExpunge(const imap::Command& cmd);  // EXPUNGE, UID EXPUNGE
  asio::awaitable<void> CmdCopy(const imap::Command& cmd);     // COPY, MOVE, UID forms
  asio::awaitable<void> CmdSearch(const imap::Command& cmd);   // SEARCH, UID SEARCH
  asio::awaitable<void> CmdIdle(const imap::Command& cmd);
  asio::awaitable<void> CmdQuota(const imap::Command& cmd);  // GETQUOTA, GETQUOTAROOT
  // Called on the strand when mailbox-store reports a change during IDLE, which this
  // process heard of at `heard`: `push` is the change as SharedWatches read it for all
  // its sessions (null: read it yourself), `claimed` whether its \Recent are ours.
  void MailboxChanged(std::chrono::steady_clock::time_point heard,
                      std::shared_ptr<const Push> push = nullptr, bool claimed = false);
  // Applies the pushes that arrived, in order; false when the session must read the
  // mailbox itself (a change came without a push, or a push does not fit).
  bool ApplyPushes();

  // Shared by LOGIN and AUTHENTICATE (cmd_login.cc): checks the password, replies.
  asio::awaitable<void> Login(const imap::Command& cmd, const std::string& user,
                              const std::string& password);
  bool plaintext_auth_allowed() const;
  // "LIST (attributes) "/" name" for the mailbox an IMAP4rev2 SELECT opened (RFC 9051
  // §6.3.2), without attributes when mailbox-store cannot say (cmd_list.cc).
  asio::awaitable<std::string> SelectedListLine(const std::string& name);
  // "STATUS name (item value ...)" for STATUS and LIST-STATUS (cmd_status.cc); `items`
  // as imap::ParseStatusItems returns them.
  std::string StatusLine(const v1::Mailbox& box, const std::vector<std::string>& items) const;
  // The CAPABILITY list for the current state (cmd_capability.cc).
  std::string Capabilities() const;
  // The mailbox as SELECT/EXAMINE opens it (cmd_select.cc): a delta on the process's
  // cached snapshot when there is one, else listed whole. nullopt after a tagged NO.
  asio::awaitable<std::optional<SelectedMailbox>> LoadMailbox(const imap::Command& cmd,
                                                              const std::string& name,
                                                              bool read_only);
  // Re-reads the selected mailbox and queues what changed (selected.h). False when the
  // re-read failed (nothing changed; the client hears later).
  asio::awaitable<bool> SyncSelected();
  // mailbox-store's ListMessages of a whole mailbox, through config_.reads when set.
  asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> ListMessages(
      const v1::ListMessagesRequest& request);

  // The UTF-8 mailbox name an argument names: modified UTF-7 decoded (RFC 3501
  // §5.1.3) unless UTF8=ACCEPT is enabled, INBOX canonical. nullopt (after a tagged
  // BAD) when it is not a mailbox name.
  std::optional<std::string> MailboxArg(const imap::Command& cmd, const imap::Arg& arg);
  // A mailbox name as the client reads it: modified UTF-7 for IMAP4rev1 clients.
  std::string WireName(const std::string& utf8) const;
  // \Recent applies to the message in this session: IMAP4rev1 only (RFC 9051 drops it).
  bool RecentHere(const SelectedMailbox& box, uint32_t uid) const {
    return !rev2_ && box.IsRecent(uid);
  }
  // Asks ListMessages for the \Recent mark of the selected mailbox: SELECT claims new
  // messages for this session, EXAMINE only looks (RFC 3501 §6.3.2); rev2 neither.
  void RequestRecent(bool read_only, v1::ListMessagesRequest* request) const;
  // The snapshot indexes a sequence set (or UID set for UID commands) names; false
  // after a tagged BAD for a malformed set or a sequence number past the end.
  bool ResolveSet(const imap::Command& cmd, const imap::Arg& arg, std::vector<uint32_t>* indexes);
  // "tag NO [CODE] ..." for a failed mailbox call: NONEXISTENT, ALREADYEXISTS,
  // OVERQUOTA and CANNOT with the store's reason; other codes as BackendError.
  void MailboxError(const imap::Command& cmd, std::string_view what, const absl::Status& status);

  // Queues untagged data or a tagged status. BAD responses count towards
  // max_bad_commands; any other tagged response resets the count.
  void Send(std::string data) { out_ += data; }
  void Tagged(const imap::Command& cmd, std::string_view status, std::string_view code,
              std::string_view text);
  // "tag NO [CODE] text" for a failed mailbox-store call, logged.
  void BackendError(const imap::Command& cmd, std::string_view what, const absl::Status& status);
  asio::awaitable<bool> Flush();

  const Config& config_;
  const bool implicit_tls_;
  std::shared_ptr<net::Stream> stream_;
  clients::MailboxClient& mailbox_;
  Metrics* metrics_;
  const std::atomic<bool>* stopping_;
  std::string id_;
  asio::any_io_executor executor_;  // the connection's strand, set by Run()

  std::string out_;
  bool closing_ = false;
  bool waiting_for_command_ = false;
  int bad_commands_ = 0;
  int auth_failures_ = 0;

  State state_ = kNotAuthenticated;
  std::string account_;
  bool holds_account_slot_ = false;  // a slot of config_.account_sessions for account_
  std::optional<SelectedMailbox> selected_;
  // ENABLE UTF8=ACCEPT (RFC 6855): mailbox names travel as UTF-8, not modified UTF-7.
  bool utf8_ = false;
  // ENABLE IMAP4rev2 (RFC 9051): rev2 rules from then on (cmd_enable.cc lists them).
  // Implies utf8_.
  bool rev2_ = false;
  // IDLE: a WatchMailbox change arrived (set on the strand); reading_idle_ while IDLE
  // waits for DONE, so a change can interrupt that read.
  bool change_pending_ = false;
  std::chrono::steady_clock::time_point change_heard_;  // of the oldest pending change
  bool reading_idle_ = false;
  // The pending changes as read for us (oldest first), and whether one came unread.
  std::vector<std::pair<std::shared_ptr<const Push>, bool>> pushes_;
  bool read_needed_ = false;
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SESSION_H_
