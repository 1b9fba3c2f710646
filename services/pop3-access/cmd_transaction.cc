// TRANSACTION state (RFC 1939 §5, §7): STAT, LIST, RETR, TOP, DELE, RSET, UIDL, and
// QUIT, which enters UPDATE and commits the deletions.
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/pop3/response.h"
#include "services/libs/rpc/status_map.h"
#include "services/pop3-access/session.h"

namespace mail::pop3_access {

void Session::CountVisible(uint32_t* count, uint64_t* octets) const {
  *count = 0;
  *octets = 0;
  for (const Message& m : messages_) {
    if (m.deleted) continue;
    ++*count;
    *octets += m.size;
  }
}

std::string Session::UniqueId(const Message& message) const {
  // RFC 1939 §7 UIDL: 1-70 printable characters, the same for a message in every
  // session and never reused. A UID never repeats within one UIDVALIDITY, and a new
  // UIDVALIDITY starts a new namespace, so the pair is unique for good.
  return absl::StrCat(uidvalidity_, ".", message.uid);
}

Session::Message* Session::FindMessage(std::string_view arg) {
  uint32_t n = 0;
  if (!pop3::ParseNumber(arg, &n) || n == 0 || n > messages_.size()) {
    Error("", "No such message");
    return nullptr;
  }
  Message* m = &messages_[n - 1];
  if (m->deleted) {
    Error("", absl::StrCat("Message ", n, " is deleted"));
    return nullptr;
  }
  return m;
}

void Session::CmdStat() {
  uint32_t count;
  uint64_t octets;
  CountVisible(&count, &octets);
  Reply(pop3::Ok(absl::StrCat(count, " ", octets)));
}

void Session::CmdList(const pop3::Command& cmd) {
  if (cmd.args.size() > 1) {
    Error("", "Usage: LIST [msg]");
    return;
  }
  if (cmd.args.size() == 1) {
    Message* m = FindMessage(cmd.args[0]);
    if (m == nullptr) return;
    Reply(pop3::Ok(absl::StrCat(m - messages_.data() + 1, " ", m->size)));
    return;
  }
  uint32_t count;
  uint64_t octets;
  CountVisible(&count, &octets);
  std::string lines;
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (!messages_[i].deleted) absl::StrAppend(&lines, i + 1, " ", messages_[i].size, "\r\n");
  }
  std::string out = pop3::Ok(absl::StrCat(count, " messages (", octets, " octets)"));
  pop3::AppendMultiline(&out, lines);
  Reply(std::move(out));
}

void Session::CmdUidl(const pop3::Command& cmd) {
  if (cmd.args.size() > 1) {
    Error("", "Usage: UIDL [msg]");
    return;
  }
  if (cmd.args.size() == 1) {
    Message* m = FindMessage(cmd.args[0]);
    if (m == nullptr) return;
    Reply(pop3::Ok(absl::StrCat(m - messages_.data() + 1, " ", UniqueId(*m))));
    return;
  }
  std::string lines;
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (!messages_[i].deleted) absl::StrAppend(&lines, i + 1, " ", UniqueId(messages_[i]), "\r\n");
  }
  std::string out = pop3::Ok("Unique-ID listing follows");
  pop3::AppendMultiline(&out, lines);
  Reply(std::move(out));
}

namespace {

// Read-ahead: clients mostly RETR 1..N in order, and one store round trip per
// message costs more than the message. Larger messages are read one at a time.
constexpr uint64_t kPrefetchMessageMax = 64 * 1024;
constexpr uint64_t kPrefetchBytes = 512 * 1024;
constexpr int kPrefetchMessages = 128;

}  // namespace

asio::awaitable<void> Session::Prefetch(const Message& message) {
  prefetched_.clear();
  v1::FetchBodiesRequest request;
  request.set_account(account_);
  request.set_mailbox("INBOX");
  request.set_max_message_size(kPrefetchMessageMax);
  uint64_t bytes = 0;
  for (size_t i = &message - messages_.data(); i < messages_.size(); ++i) {
    const Message& m = messages_[i];
    if (m.deleted || m.size > kPrefetchMessageMax) continue;
    if (bytes + m.size > kPrefetchBytes || request.uids_size() >= kPrefetchMessages) break;
    bytes += m.size;
    request.add_uids(m.uid);
  }
  absl::StatusOr<v1::FetchBodiesResponse> read = co_await mailbox_.FetchBodies(request);
  if (!read.ok()) {
    base::LogDebug("FetchBodies failed", {{"session", id_}, {"error", read.status().ToString()}});
    co_return;
  }
  for (v1::FetchBodiesResponse::Body& b : *read->mutable_bodies()) {
    prefetched_[b.uid()] = std::move(*b.mutable_data());
  }
}

asio::awaitable<std::unique_ptr<std::string>> Session::FetchBody(const Message& message) {
  if (message.size <= kPrefetchMessageMax && !prefetched_.contains(message.uid)) {
    co_await Prefetch(message);
  }
  if (auto it = prefetched_.find(message.uid); it != prefetched_.end()) {
    auto body = std::make_unique<std::string>(std::move(it->second));
    prefetched_.erase(it);
    co_return body;
  }
  v1::FetchBodyRequest request;
  request.set_account(account_);
  request.set_mailbox("INBOX");
  request.set_uid(message.uid);
  absl::StatusOr<std::string> body = co_await mailbox_.FetchBody(request);
  if (body.ok()) co_return std::make_unique<std::string>(*std::move(body));
  if (body.status().code() == absl::StatusCode::kNotFound) {
    // Expunged by another session (IMAP, or a POP3 session on another replica until
    // issue 6's lock exists) since our snapshot.
    Error("", "Message was deleted by another session");
  } else {
    base::LogWarning("FetchBody failed", {{"session", id_}, {"error", body.status().ToString()}});
    Error(rpc::Pop3CodeForError(body.status()), "Cannot read the message now, try again later");
  }
  co_return nullptr;
}

asio::awaitable<void> Session::CmdRetr(const pop3::Command& cmd) {
  if (cmd.args.size() != 1) {
    Error("", "Usage: RETR msg");
    co_return;
  }
  Message* m = FindMessage(cmd.args[0]);
  if (m == nullptr) co_return;
  std::unique_ptr<std::string> body = co_await FetchBody(*m);
  if (body == nullptr) co_return;
  // The count is of what we send (CRLF endings), so it is exact even for a message
  // stored with bare LFs.
  std::string out = pop3::Ok(absl::StrCat(pop3::CrlfSize(*body), " octets"));
  pop3::AppendMultiline(&out, *body);
  Reply(std::move(out));
  if (metrics_ != nullptr) metrics_->MessageRetrieved();
}

asio::awaitable<void> Session::CmdTop(const pop3::Command& cmd) {
  uint32_t lines = 0;
  if (cmd.args.size() != 2) {
    Error("", "Usage: TOP msg n");
    co_return;
  }
  if (!pop3::ParseNumber(cmd.args[1], &lines)) {
    Error("", "Invalid number of lines");
    co_return;
  }
  Message* m = FindMessage(cmd.args[0]);
  if (m == nullptr) co_return;
  std::unique_ptr<std::string> body = co_await FetchBody(*m);
  if (body == nullptr) co_return;
  std::string out = pop3::Ok("Top of message follows");
  pop3::AppendMultiline(&out, pop3::TopOfMessage(*body, lines));
  Reply(std::move(out));
}

void Session::CmdDele(const pop3::Command& cmd) {
  if (cmd.args.size() != 1) {
    Error("", "Usage: DELE msg");
    return;
  }
  Message* m = FindMessage(cmd.args[0]);
  if (m == nullptr) return;
  m->deleted = true;
  Reply(pop3::Ok(absl::StrCat("Message ", m - messages_.data() + 1, " deleted")));
}

void Session::CmdRset() {
  for (Message& m : messages_) m.deleted = false;
  uint32_t count;
  uint64_t octets;
  CountVisible(&count, &octets);
  Reply(pop3::Ok(absl::StrCat("Maildrop has ", count, " messages (", octets, " octets)")));
}

asio::awaitable<void> Session::CmdQuit() {
  closing_ = true;
  if (state_ != State::kTransaction) {
    Reply(pop3::Ok("Bye"));
    co_return;
  }
  // UPDATE (RFC 1939 §6): the marked messages go in one ExpungeMessages call, which
  // mailbox-store runs as one transaction with the quota update.
  state_ = State::kUpdate;
  v1::ExpungeMessagesRequest request;
  request.set_account(account_);
  request.set_mailbox("INBOX");
  for (const Message& m : messages_) {
    if (m.deleted) request.add_uids(m.uid);
  }
  if (request.uids_size() == 0) {
    Reply(pop3::Ok("Bye"));
    co_return;
  }
  absl::StatusOr<v1::ExpungeMessagesResponse> result = co_await mailbox_.ExpungeMessages(request);
  if (!result.ok()) {
    base::LogWarning(
        "ExpungeMessages failed",
        {{"session", id_}, {"account", account_}, {"error", result.status().ToString()}});
    Error(rpc::Pop3CodeForError(result.status()), "Some deleted messages were not removed");
    co_return;
  }
  if (metrics_ != nullptr) metrics_->MessagesDeleted(request.uids_size());
  base::LogInfo(
      "messages deleted",
      {{"session", id_}, {"account", account_}, {"count", std::to_string(request.uids_size())}});
  Reply(pop3::Ok(absl::StrCat("Bye, ", request.uids_size(), " messages deleted")));
}

}  // namespace mail::pop3_access
