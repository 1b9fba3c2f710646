// The IMAP session loop, dispatch and shared helpers; see session.h.
#include "services/imap-access/session.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "absl/strings/str_cat.h"
#include "services/imap-access/account_sessions.h"
#include "services/imap-access/shared_reads.h"
#include "services/libs/base/log.h"
#include "services/libs/base/uuid.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/mutf7.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/sequence_set.h"
#include "services/libs/rpc/status_map.h"

namespace mail::imap_access {
namespace {

// Write queued responses once this much is waiting, even if more commands are
// pipelined, so a large FETCH does not sit in memory twice.
constexpr size_t kFlushThreshold = 64 * 1024;

}  // namespace

Session::Session(const Config& config, bool implicit_tls, std::shared_ptr<net::Stream> stream,
                 clients::MailboxClient& mailbox, Metrics* metrics,
                 const std::atomic<bool>* stopping)
    : config_(config),
      implicit_tls_(implicit_tls),
      stream_(std::move(stream)),
      mailbox_(mailbox),
      metrics_(metrics),
      stopping_(stopping),
      id_(base::NewUuid()) {}

Session::~Session() {
  if (holds_account_slot_) config_.account_sessions->Release(account_);
}

BodyReader::BodyReader(clients::MailboxClient& mailbox, std::string account,
                       std::string mailbox_name, std::vector<Wanted> wanted, int max_batch_messages,
                       uint64_t max_batch_bytes, bool headers_only)
    : mailbox_(mailbox),
      account_(std::move(account)),
      mailbox_name_(std::move(mailbox_name)),
      wanted_(std::move(wanted)),
      max_batch_messages_(max_batch_messages),
      max_batch_bytes_(max_batch_bytes),
      headers_only_(headers_only),
      batching_(wanted_.size() >= kMinBatch) {}

asio::awaitable<void> BodyReader::ReadBatch() {
  batch_.clear();
  v1::FetchBodiesRequest request;
  request.set_account(account_);
  request.set_mailbox(mailbox_name_);
  request.set_max_message_size(kMaxBatchedMessage);
  request.set_headers_only(headers_only_);
  uint64_t bytes = 0;
  size_t i = next_;
  for (; i < wanted_.size(); ++i) {
    const Wanted& w = wanted_[i];
    // Headers are read in batches whatever the size of the message (a few KiB each).
    const uint64_t size = headers_only_ ? std::min<uint64_t>(w.size, 16 * 1024) : w.size;
    if (size > kMaxBatchedMessage) continue;  // read alone with FetchBody
    if (request.uids_size() >= max_batch_messages_) break;
    if (request.uids_size() > 0 && bytes + size > max_batch_bytes_) break;
    bytes += size;
    request.add_uids(w.uid);
  }
  planned_ = i;
  if (request.uids_size() == 0) co_return;
  ++batch_calls_;
  absl::StatusOr<v1::FetchBodiesResponse> read = co_await mailbox_.FetchBodies(request);
  if (!read.ok()) {
    // An older store without the RPC, or a failure: FetchBody from here on, whose
    // errors the command reports as it always did.
    base::LogDebug("FetchBodies failed, reading bodies one by one",
                   {{"error", read.status().ToString()}});
    batching_ = false;
    co_return;
  }
  for (v1::FetchBodiesResponse::Body& b : *read->mutable_bodies()) {
    batch_[b.uid()] = std::move(*b.mutable_data());
  }
}

asio::awaitable<absl::StatusOr<std::string>> BodyReader::Next() {
  if (next_ >= wanted_.size()) co_return absl::InternalError("BodyReader: no more messages");
  const Wanted w = wanted_[next_];
  if (batching_ && next_ >= planned_) co_await ReadBatch();
  ++next_;
  auto it = batch_.find(w.uid);
  if (it != batch_.end()) {
    std::string body = std::move(it->second);
    batch_.erase(it);
    co_return body;
  }
  v1::FetchBodyRequest request;
  request.set_account(account_);
  request.set_mailbox(mailbox_name_);
  request.set_uid(w.uid);
  absl::StatusOr<std::string> fetched = co_await mailbox_.FetchBody(request);
  co_return fetched;
}

void Session::WakeForShutdown() {
  if (!waiting_for_command_ || closing_ || !executor_) return;
  closing_ = true;
  asio::co_spawn(executor_, SayByeAndClose(shared_from_this()), asio::detached);
}

asio::awaitable<void> Session::SayByeAndClose(std::shared_ptr<Session> self) {
  // RFC 3501 §7.1.5: BYE may come at any time; the read waiting in Run() then ends.
  co_await self->stream_->Write("* BYE Server shutting down, try again later\r\n",
                                std::chrono::seconds(5));
  self->stream_->Close();
}

void Session::Tagged(const imap::Command& cmd, std::string_view status, std::string_view code,
                     std::string_view text) {
  bad_commands_ = status == "BAD" ? bad_commands_ + 1 : 0;
  out_ += imap::Tagged(cmd.tag, status, code, text);
}

void Session::BackendError(const imap::Command& cmd, std::string_view what,
                           const absl::Status& status) {
  base::LogWarning("mailbox-store call failed",
                   {{"session", id_}, {"call", std::string(what)}, {"error", status.ToString()}});
  Tagged(cmd, "NO", rpc::ImapCodeForError(status),
         "The mailbox server is unavailable, try again later");
}

asio::awaitable<bool> Session::Flush() {
  if (out_.empty()) co_return !stream_->closed();
  bool ok = co_await stream_->Write(out_);
  if (metrics_ != nullptr && ok) metrics_->BytesSent(out_.size());
  out_.clear();
  co_return ok;
}

void Session::ReplyParseError(const imap::ParseError& error) {
  if (error.fatal) {
    // The rest of the input cannot be framed (a refused non-synchronizing literal is
    // on its way, RFC 7888 §4): say why and hang up.
    Send(imap::UntaggedStatus("BYE", error.code, error.text));
    closing_ = true;
    return;
  }
  if (error.tag.empty()) {
    Send(imap::UntaggedStatus("BAD", error.code, error.text));
    ++bad_commands_;
    return;
  }
  imap::Command cmd;
  cmd.tag = error.tag;
  Tagged(cmd, "BAD", error.code, error.text);
}

asio::awaitable<bool> Session::ReadLiteral(imap::CommandParser& parser, std::string* line) {
  if (parser.literal_sync()) {
    Send(imap::Continuation("Ready for literal data"));
    bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
    if (!flushed) co_return false;
  }
  std::string data;
  net::ReadResult read =
      co_await stream_->ReadExactly(parser.literal_size(), &data, config_.idle_timeout);
  if (read != net::ReadResult::kOk) co_return false;
  parser.AddLiteral(std::move(data));
  read = co_await stream_->ReadLine(line, config_.limits.max_line, config_.idle_timeout);
  if (read == net::ReadResult::kTooLong) {
    Send(imap::UntaggedStatus("BYE", "TOOBIG", "Command line too long"));
    closing_ = true;
    co_return false;
  }
  co_return read == net::ReadResult::kOk;
}

asio::awaitable<void> Session::Run() {
  executor_ = co_await asio::this_coro::executor;
  base::LogInfo("session started", {{"session", id_},
                                    {"client_ip", stream_->peer_ip()},
                                    {"port", implicit_tls_ ? "imaps" : "imap"}});
  if (implicit_tls_) {
    absl::Status tls = co_await stream_->StartServerTls(config_.tls_handshake_timeout);
    if (!tls.ok()) {
      base::LogInfo("TLS handshake failed", {{"session", id_}, {"error", tls.ToString()}});
      stream_->Close();
      co_return;
    }
  }
  // RFC 3501 §7.1: the greeting may carry the capabilities, saving a round trip.
  Send(imap::UntaggedStatus("OK", "CAPABILITY " + Capabilities(), "mailsuite IMAP ready"));
  imap::CommandParser parser(config_.limits);
  std::string line;
  while (!closing_) {
    if (stream_->buffered() == 0 || out_.size() >= kFlushThreshold) {
      bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
      if (!flushed) break;
    }
    // The drain sets the flag before it wakes sessions (on this strand), so between
    // the check and the read nothing can slip through.
    if (stopping_ != nullptr && stopping_->load() && !stream_->buffered()) {
      Send(imap::UntaggedStatus("BYE", "", "Server shutting down, try again later"));
      break;
    }
    waiting_for_command_ = true;
    net::ReadResult read =
        co_await stream_->ReadLine(&line, config_.limits.max_line, config_.idle_timeout);
    waiting_for_command_ = false;
    if (read == net::ReadResult::kClosed || closing_) break;
    if (read == net::ReadResult::kTimeout) {
      Send(imap::UntaggedStatus("BYE", "", "Autologout: idle for too long"));
      break;
    }
    if (read == net::ReadResult::kTooLong) {
      // The line's end (and whatever literal it announced) is lost: no safe way on.
      Send(imap::UntaggedStatus("BYE", "TOOBIG", "Command line too long"));
      break;
    }
    if (stopping_ != nullptr && stopping_->load()) {
      Send(imap::UntaggedStatus("BYE", "", "Server shutting down, try again later"));
      break;
    }
    imap::ParseStatus status = parser.AddLine(line);
    bool connected = true;
    while (status == imap::ParseStatus::kNeedLiteral) {
      if (!(connected = co_await ReadLiteral(parser, &line))) break;
      status = parser.AddLine(line);
    }
    if (!connected) break;
    if (status == imap::ParseStatus::kError) {
      ReplyParseError(parser.error());
    } else {
      imap::Command cmd = parser.TakeCommand();
      co_await Dispatch(cmd);
    }
    if (bad_commands_ >= config_.max_bad_commands) {
      Send(imap::UntaggedStatus("BYE", "", "Too many invalid commands"));
      closing_ = true;
    }
  }
  co_await Flush();
  stream_->Close();
  base::LogInfo("session ended", {{"session", id_}, {"account", account_}});
}

asio::awaitable<void> Session::Dispatch(const imap::Command& cmd) {
  struct Entry {
    std::string_view name;
    unsigned states;
    bool uid_form;  // also valid as "UID <name>"
    Handler handler;
  };
  constexpr unsigned kAny = kNotAuthenticated | kAuthenticated | kSelected;
  constexpr unsigned kAuth = kAuthenticated | kSelected;
  static constexpr Entry kCommands[] = {
      {"CAPABILITY", kAny, false, &Session::CmdCapability},
      {"NOOP", kAny, false, &Session::CmdNoop},
      {"LOGOUT", kAny, false, &Session::CmdLogout},
      {"STARTTLS", kNotAuthenticated, false, &Session::CmdStarttls},
      {"LOGIN", kNotAuthenticated, false, &Session::CmdLogin},
      {"AUTHENTICATE", kNotAuthenticated, false, &Session::CmdAuthenticate},
      {"SELECT", kAuth, false, &Session::CmdSelect},
      {"EXAMINE", kAuth, false, &Session::CmdSelect},
      {"LIST", kAuth, false, &Session::CmdList},
      {"LSUB", kAuth, false, &Session::CmdList},
      {"CHECK", kSelected, false, &Session::CmdNoop},
      {"FETCH", kSelected, true, &Session::CmdFetch},
      {"CLOSE", kSelected, false, &Session::CmdClose},
      {"UNSELECT", kSelected, false, &Session::CmdClose},
      {"CREATE", kAuth, false, &Session::CmdMailbox},
      {"DELETE", kAuth, false, &Session::CmdMailbox},
      {"RENAME", kAuth, false, &Session::CmdMailbox},
      {"SUBSCRIBE", kAuth, false, &Session::CmdMailbox},
      {"UNSUBSCRIBE", kAuth, false, &Session::CmdMailbox},
      {"STATUS", kAuth, false, &Session::CmdStatus},
      {"NAMESPACE", kAuth, false, &Session::CmdNamespace},
      {"ID", kAny, false, &Session::CmdId},
      {"ENABLE", kAuth, false, &Session::CmdEnable},
      {"STORE", kSelected, true, &Session::CmdStore},
      {"APPEND", kAuth, false, &Session::CmdAppend},
      {"EXPUNGE", kSelected, true, &Session::CmdExpunge},
      {"COPY", kSelected, true, &Session::CmdCopy},
      {"MOVE", kSelected, true, &Session::CmdCopy},
      {"SEARCH", kSelected, true, &Session::CmdSearch},
      {"IDLE", kAuth, false, &Session::CmdIdle},
      {"GETQUOTA", kAuth, false, &Session::CmdQuota},
      {"GETQUOTAROOT", kAuth, false, &Session::CmdQuota},
  };
  const Entry* entry = nullptr;
  for (const Entry& e : kCommands) {
    if (e.name == cmd.name && (!cmd.uid || e.uid_form)) entry = &e;
  }
  if (metrics_ != nullptr) {
    metrics_->Command(entry == nullptr ? "unknown"
                                       : (cmd.uid ? "UID " + std::string(entry->name)
                                                  : std::string(entry->name)));
  }
  if (entry == nullptr) {
    Tagged(cmd, "BAD", "", cmd.uid ? "Unknown UID command" : "Unknown command");
    co_return;
  }
  if ((entry->states & state_) == 0) {
    Tagged(cmd, "BAD", "",
           state_ == kNotAuthenticated ? absl::StrCat(cmd.name, " needs authentication first")
           : state_ == kAuthenticated && entry->states == kSelected
               ? absl::StrCat(cmd.name, " needs a selected mailbox")
               : absl::StrCat(cmd.name, " is not valid in this state"));
    co_return;
  }
  co_await (this->*(entry->handler))(cmd);
}

asio::awaitable<bool> Session::SyncSelected() {
  if (!selected_) co_return true;
  v1::ListMessagesRequest request;
  request.set_account(account_);
  request.set_mailbox(selected_->name);
  RequestRecent(selected_->read_only, &request);
  DeltaRequest(*selected_, &request);
  absl::StatusOr<v1::ListMessagesResponse> fresh = co_await ListMessages(request);
  if (fresh.ok() && !DeltaAccountsForExpunges(*selected_, *fresh)) {
    request.set_with_present_uids(true);
    fresh = co_await ListMessages(request);
  }
  // A failed refresh changes nothing: the client sees the news at a later command.
  if (!fresh.ok()) co_return false;
  Send(ApplySnapshot(&*selected_, *fresh, !rev2_));
  co_return true;
}

asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> Session::ListMessages(
    const v1::ListMessagesRequest& request) {
  if (metrics_ != nullptr) metrics_->MailboxList(request.changed_since() > 0 ? "delta" : "full");
  if (config_.reads == nullptr) co_return co_await mailbox_.ListMessages(request);
  co_return co_await config_.reads->List(request);
}

void Session::RequestRecent(bool read_only, v1::ListMessagesRequest* request) const {
  if (rev2_) return;
  if (read_only) {
    request->set_with_recent(true);
  } else {
    request->set_claim_recent(true);
  }
}

std::optional<std::string> Session::MailboxArg(const imap::Command& cmd, const imap::Arg& arg) {
  if (!arg.IsAstring()) {
    Tagged(cmd, "BAD", "", "Invalid mailbox name");
    return std::nullopt;
  }
  if (utf8_) return imap::CanonicalMailboxName(arg.value);
  absl::StatusOr<std::string> decoded = imap::DecodeMutf7(arg.value);
  if (!decoded.ok()) {
    Tagged(cmd, "BAD", "", "Invalid modified UTF-7 mailbox name");
    return std::nullopt;
  }
  return imap::CanonicalMailboxName(*decoded);
}

std::string Session::WireName(const std::string& utf8) const {
  return utf8_ ? utf8 : imap::EncodeMutf7(utf8);
}

bool Session::ResolveSet(const imap::Command& cmd, const imap::Arg& arg,
                         std::vector<uint32_t>* indexes) {
  if (!arg.IsAtom()) {
    Tagged(cmd, "BAD", "", "Invalid sequence set");
    return false;
  }
  absl::StatusOr<imap::SequenceSet> set = imap::SequenceSet::Parse(arg.value, true);
  if (!set.ok()) {
    Tagged(cmd, "BAD", "", std::string(set.status().message()));
    return false;
  }
  const SelectedMailbox& box = *selected_;
  if (set->saved()) {
    // "$" (RFC 5182 §2.2): the messages of the saved result still here, for UID and
    // sequence-number commands alike; empty before any SAVE.
    for (uint32_t i = 0; i < box.count(); ++i) {
      if (std::binary_search(box.saved_uids.begin(), box.saved_uids.end(), box.messages[i].uid())) {
        indexes->push_back(i);
      }
    }
    return true;
  }
  if (!cmd.uid && (set->max_explicit() > box.count() || (set->has_star() && box.count() == 0))) {
    Tagged(cmd, "BAD", "", "Invalid message sequence number");
    return false;
  }
  const uint32_t star = cmd.uid ? box.max_uid() : box.count();
  for (uint32_t i = 0; i < box.count(); ++i) {
    if (set->Contains(cmd.uid ? box.messages[i].uid() : i + 1, star)) indexes->push_back(i);
  }
  return true;
}

void Session::MailboxError(const imap::Command& cmd, std::string_view what,
                           const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      Tagged(cmd, "NO", "NONEXISTENT", "Mailbox does not exist");
      return;
    case absl::StatusCode::kAlreadyExists:
      Tagged(cmd, "NO", "ALREADYEXISTS", "Mailbox already exists");
      return;
    case absl::StatusCode::kResourceExhausted:
      Tagged(cmd, "NO", "OVERQUOTA", "Quota exceeded");
      return;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      Tagged(cmd, "NO", "CANNOT", std::string(status.message()));
      return;
    default:
      BackendError(cmd, what, status);
  }
}

}  // namespace mail::imap_access
