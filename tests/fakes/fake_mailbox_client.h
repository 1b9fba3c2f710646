// FakeMailboxClient: an in-memory mailbox-store for unit tests of front-ends and the
// relay. Domains, accounts (with passwords) and aliases are set up by the test;
// Deliver stores into per-account INBOXes and is idempotent by (transaction_id,
// account) like the real one. Any method can be made to fail with a status.
// Thread-safe (one mutex); header-only so every test binary can include it.
#ifndef MAILSUITE_TESTS_FAKES_FAKE_MAILBOX_CLIENT_H_
#define MAILSUITE_TESTS_FAKES_FAKE_MAILBOX_CLIENT_H_

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/mail/bodystructure.h"
#include "services/libs/mail/encoded_words.h"
#include "services/libs/mail/header.h"
#include "services/libs/mail/mime.h"
#include "services/libs/mail/search_headers.h"

namespace mail::fakes {

class FakeMailboxClient : public clients::MailboxClient {
 public:
  struct Delivery {
    v1::Envelope envelope;
    std::string body;
  };
  struct StoredMessage {
    uint32_t uid;
    std::string body;
    std::vector<std::string> flags;
    std::string transaction_id;
  };

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string DomainOf(const std::string& address) {
    size_t at = address.rfind('@');
    return at == std::string::npos ? "" : Lower(address.substr(at + 1));
  }

  void AddDomain(const std::string& domain) {
    std::lock_guard<std::mutex> l(mu_);
    domains_.insert(Lower(domain));
  }
  // Adds "local@domain" with a password; its domain becomes local.
  void AddAccount(const std::string& address, const std::string& password) {
    std::lock_guard<std::mutex> l(mu_);
    std::string a = Lower(address);
    accounts_[a] = password;
    domains_.insert(DomainOf(a));
    for (const char* box : {"INBOX", "Sent", "Drafts", "Trash", "Junk"}) mailboxes_[a][box];
  }
  // An alias (or "@domain" catch-all) to local accounts and/or remote addresses.
  void AddAlias(const std::string& alias, const std::vector<std::string>& targets) {
    std::lock_guard<std::mutex> l(mu_);
    aliases_[Lower(alias)] = targets;
    if (alias[0] != '@') domains_.insert(DomainOf(alias));
  }
  void SetOverQuota(const std::string& account, bool over) {
    std::lock_guard<std::mutex> l(mu_);
    if (over) {
      over_quota_.insert(Lower(account));
    } else {
      over_quota_.erase(Lower(account));
    }
  }
  // Makes calls of `method` ("LookupRecipient", "Deliver", ...) fail with `status`:
  // the next `times` calls, or every call (times < 0) until ClearError(method).
  void SetError(const std::string& method, absl::Status status, int times = -1) {
    std::lock_guard<std::mutex> l(mu_);
    if (status.ok() || times == 0) {
      errors_.erase(method);
    } else {
      errors_[method] = {std::move(status), times};
    }
  }
  void ClearError(const std::string& method) { SetError(method, absl::OkStatus()); }

  // Replaces the flags of one stored message (IMAP/POP3 tests); false if absent.
  bool SetFlags(const std::string& account, const std::string& mailbox, uint32_t uid,
                std::vector<std::string> flags) {
    std::lock_guard<std::mutex> l(mu_);
    auto* box = FindBoxLocked(account, mailbox);
    if (box == nullptr) return false;
    for (auto& msg : *box) {
      if (msg.uid == uid) {
        msg.flags = std::move(flags);
        return true;
      }
    }
    return false;
  }

  std::vector<Delivery> deliveries() const {
    std::lock_guard<std::mutex> l(mu_);
    return deliveries_;
  }
  int calls(const std::string& method) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }
  std::vector<StoredMessage> messages(const std::string& account,
                                      const std::string& mailbox = "INBOX") const {
    std::lock_guard<std::mutex> l(mu_);
    auto a = mailboxes_.find(Lower(account));
    if (a == mailboxes_.end()) return {};
    auto m = a->second.find(mailbox);
    return m == a->second.end() ? std::vector<StoredMessage>{} : m->second;
  }

  asio::awaitable<absl::StatusOr<v1::LookupRecipientResponse>> LookupRecipient(
      const v1::LookupRecipientRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("LookupRecipient"); !st.ok()) co_return st;
    co_return LookupLocked(Lower(request.address()));
  }

  asio::awaitable<absl::StatusOr<v1::AuthenticateResponse>> Authenticate(
      const v1::AuthenticateRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("Authenticate"); !st.ok()) co_return st;
    v1::AuthenticateResponse resp;
    auto it = accounts_.find(Lower(request.username()));
    if (it != accounts_.end() && it->second == request.password()) {
      resp.set_authenticated(true);
      resp.set_account(it->first);
    }
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::ListSenderAddressesResponse>> ListSenderAddresses(
      const v1::ListSenderAddressesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("ListSenderAddresses"); !st.ok()) co_return st;
    v1::ListSenderAddressesResponse resp;
    std::string account = Lower(request.account());
    if (accounts_.count(account) == 0) co_return absl::NotFoundError("no such account");
    resp.add_addresses(account);
    for (const auto& [alias, targets] : aliases_) {
      if (alias[0] == '@') continue;
      for (const auto& t : targets) {
        if (Lower(t) == account) resp.add_addresses(alias);
      }
    }
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::DeliverResponse>> Deliver(const v1::Envelope& envelope,
                                                               std::string body) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("Deliver"); !st.ok()) co_return st;
    v1::DeliverResponse resp;
    bool stored = false;
    for (const auto& rcpt : envelope.recipients()) {
      auto* result = resp.add_results();
      result->set_address(rcpt.address());
      v1::LookupRecipientResponse look = LookupLocked(Lower(rcpt.address()));
      if (look.kind() != v1::RECIPIENT_KIND_LOCAL || look.accounts().empty()) {
        result->set_status(v1::DELIVERY_STATUS_UNKNOWN_USER);
        continue;
      }
      if (look.over_quota()) {
        result->set_status(v1::DELIVERY_STATUS_OVER_QUOTA);
        continue;
      }
      bool duplicate = true;
      for (const auto& account : look.accounts()) {
        auto key = std::make_pair(envelope.transaction_id(), account);
        if (delivered_.count(key)) continue;
        delivered_.insert(key);
        duplicate = false;
        auto& box = mailboxes_[account]["INBOX"];
        uint32_t uid = box.empty() ? 1 : box.back().uid + 1;
        box.push_back({uid, body, {}, envelope.transaction_id()});
        stored = true;
      }
      result->set_status(duplicate ? v1::DELIVERY_STATUS_DUPLICATE : v1::DELIVERY_STATUS_DELIVERED);
    }
    if (stored) deliveries_.push_back({envelope, std::move(body)});
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::ListMailboxesResponse>> ListMailboxes(
      const v1::ListMailboxesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("ListMailboxes"); !st.ok()) co_return st;
    auto a = mailboxes_.find(Lower(request.account()));
    if (a == mailboxes_.end()) co_return absl::NotFoundError("no such account");
    v1::ListMailboxesResponse resp;
    for (const auto& [name, msgs] : a->second) {
      auto* m = resp.add_mailboxes();
      m->set_name(name);
      // As mailbox-store does for the mailboxes every account has (RFC 6154).
      if (name == "Sent" || name == "Drafts" || name == "Trash" || name == "Junk") {
        m->set_special_use("\\" + name);
      }
      m->set_uidvalidity(1);
      m->set_uidnext(msgs.empty() ? 1 : msgs.back().uid + 1);
      m->set_messages(static_cast<uint32_t>(msgs.size()));
      m->set_subscribed(unsubscribed_.count({a->first, name}) == 0);
      if (request.with_status()) {
        for (const auto& msg : msgs) {
          if (std::find(msg.flags.begin(), msg.flags.end(), "\\Seen") == msg.flags.end()) {
            m->set_unseen(m->unseen() + 1);
          }
          m->set_size(m->size() + msg.body.size());
          if (std::find(msg.flags.begin(), msg.flags.end(), "\\Deleted") != msg.flags.end()) {
            m->set_deleted(m->deleted() + 1);
          }
          auto fr = first_recent_.find({a->first, name});
          if (msg.uid >= (fr == first_recent_.end() || fr->second == 0 ? 1 : fr->second)) {
            m->set_recent(m->recent() + 1);
          }
        }
      }
    }
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> ListMessages(
      const v1::ListMessagesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("ListMessages"); !st.ok()) co_return st;
    auto* box = FindBoxLocked(request.account(), request.mailbox());
    if (box == nullptr) co_return absl::NotFoundError("no such mailbox");
    v1::ListMessagesResponse resp;
    resp.set_uidvalidity(1);
    resp.set_uidnext(box->empty() ? 1 : box->back().uid + 1);
    const std::set<uint32_t> only(request.uids().begin(), request.uids().end());
    for (const auto& msg : *box) {
      if (!only.empty() && only.count(msg.uid) == 0) continue;
      auto* info = resp.add_messages();
      info->set_uid(msg.uid);
      info->set_size(msg.body.size());
      for (const auto& f : msg.flags) info->add_flags(f);
      if (request.with_structure()) {  // what mailbox-store stores at delivery
        mime::MessageStructure s = mime::ComputeStructure(msg.body);
        info->set_envelope(s.envelope);
        info->set_bodystructure(s.bodystructure);
        info->set_body(s.body);
        info->set_parts(s.parts);
      }
    }
    // \Recent as mailbox-store's recent.cc: report the mark, a claim moves it.
    if (request.with_recent() || request.claim_recent()) {
      uint32_t& first = first_recent_[{Lower(request.account()), request.mailbox()}];
      if (first == 0) first = 1;
      resp.set_first_recent_uid(first);
      if (request.claim_recent() && resp.messages_size() > 0) {
        first = std::max(first, resp.messages(resp.messages_size() - 1).uid() + 1);
      }
      resp.set_next_first_recent_uid(first);
    }
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<std::string>> FetchBody(
      const v1::FetchBodyRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("FetchBody"); !st.ok()) co_return st;
    auto* box = FindBoxLocked(request.account(), request.mailbox());
    if (box != nullptr) {
      for (const auto& msg : *box) {
        if (msg.uid == request.uid()) co_return msg.body;
      }
    }
    co_return absl::NotFoundError("no such message");
  }

  asio::awaitable<absl::StatusOr<v1::FetchBodiesResponse>> FetchBodies(
      const v1::FetchBodiesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("FetchBodies"); !st.ok()) co_return st;
    v1::FetchBodiesResponse resp;
    auto* box = FindBoxLocked(request.account(), request.mailbox());
    if (box == nullptr) co_return absl::NotFoundError("no such mailbox");
    std::set<uint32_t> uids(request.uids().begin(), request.uids().end());
    for (const auto& msg : *box) {
      if (!uids.count(msg.uid)) continue;
      auto* body = resp.add_bodies();
      body->set_uid(msg.uid);
      if (request.headers_only()) {
        body->set_data(msg.body.substr(0, HeaderSectionLength(msg.body)));
        continue;
      }
      if (request.max_message_size() != 0 && msg.body.size() > request.max_message_size()) {
        resp.mutable_bodies()->RemoveLast();
        continue;
      }
      body->set_data(msg.body);
    }
    co_return resp;
  }

  // As mailbox-store's search_messages.cc: the folded, decoded field contains the text.
  asio::awaitable<absl::StatusOr<v1::SearchMessagesResponse>> SearchMessages(
      const v1::SearchMessagesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("SearchMessages"); !st.ok()) co_return st;
    auto* box = FindBoxLocked(request.account(), request.mailbox());
    if (box == nullptr) co_return absl::NotFoundError("no such mailbox");
    v1::SearchMessagesResponse resp;
    for (const auto& match : request.matches()) {
      auto* uids = resp.add_results();
      const std::string field = mime::FoldForSearch(match.field());
      const std::string text = mime::FoldForSearch(match.text());
      for (const auto& msg : *box) {
        const std::string_view raw(msg.body);
        for (const mime::HeaderField& f :
             mime::ParseHeader(raw.substr(0, HeaderSectionLength(raw)))) {
          if (mime::FoldForSearch(f.name) == field &&
              mime::FoldForSearch(mime::DecodeEncodedWords(f.value)).find(text) !=
                  std::string::npos) {
            uids->add_uids(msg.uid);
            break;
          }
        }
      }
    }
    co_return resp;
  }

  asio::awaitable<absl::StatusOr<v1::ExpungeMessagesResponse>> ExpungeMessages(
      const v1::ExpungeMessagesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("ExpungeMessages"); !st.ok()) co_return st;
    auto* box = FindBoxLocked(request.account(), request.mailbox());
    if (box == nullptr) co_return absl::NotFoundError("no such mailbox");
    v1::ExpungeMessagesResponse resp;
    std::set<uint32_t> uids(request.uids().begin(), request.uids().end());
    std::vector<StoredMessage> kept;
    for (auto& msg : *box) {
      if (uids.count(msg.uid)) {
        resp.add_expunged_uids(msg.uid);
      } else {
        kept.push_back(std::move(msg));
      }
    }
    *box = std::move(kept);
    co_return resp;
  }

  // ---- IMAP (issue 5): mailboxes, flags, append, copy/move, quota ----
  asio::awaitable<absl::StatusOr<v1::CreateMailboxResponse>> CreateMailbox(
      const v1::CreateMailboxRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("CreateMailbox"); !st.ok()) co_return st;
    auto a = mailboxes_.find(Lower(request.account()));
    if (a == mailboxes_.end()) co_return absl::NotFoundError("no such account");
    if (a->second.count(request.name())) co_return absl::AlreadyExistsError("mailbox exists");
    for (size_t s = request.name().find('/'); s != std::string::npos;
         s = request.name().find('/', s + 1)) {
      a->second[request.name().substr(0, s)];
    }
    a->second[request.name()];
    v1::CreateMailboxResponse resp;
    resp.set_uidvalidity(1);
    co_return resp;
  }
  asio::awaitable<absl::StatusOr<v1::DeleteMailboxResponse>> DeleteMailbox(
      const v1::DeleteMailboxRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("DeleteMailbox"); !st.ok()) co_return st;
    if (request.name() == "INBOX") co_return absl::InvalidArgumentError("INBOX cannot be deleted");
    auto a = mailboxes_.find(Lower(request.account()));
    if (a == mailboxes_.end() || a->second.erase(request.name()) == 0) {
      co_return absl::NotFoundError("no such mailbox");
    }
    co_return v1::DeleteMailboxResponse();
  }
  asio::awaitable<absl::StatusOr<v1::RenameMailboxResponse>> RenameMailbox(
      const v1::RenameMailboxRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("RenameMailbox"); !st.ok()) co_return st;
    auto a = mailboxes_.find(Lower(request.account()));
    if (a == mailboxes_.end() || a->second.count(request.from()) == 0) {
      co_return absl::NotFoundError("no such mailbox");
    }
    if (a->second.count(request.to())) co_return absl::AlreadyExistsError("mailbox exists");
    auto& boxes = a->second;
    if (request.from() == "INBOX") {
      boxes[request.to()] = std::move(boxes["INBOX"]);
      boxes["INBOX"].clear();
      co_return v1::RenameMailboxResponse();
    }
    std::vector<std::string> names;
    for (const auto& [name, msgs] : boxes) {
      if (name == request.from() || name.rfind(request.from() + "/", 0) == 0) names.push_back(name);
    }
    for (const auto& name : names) {
      auto node = boxes.extract(name);
      node.key() = request.to() + name.substr(request.from().size());
      boxes.insert(std::move(node));
    }
    co_return v1::RenameMailboxResponse();
  }
  asio::awaitable<absl::StatusOr<v1::SetSubscriptionResponse>> SetSubscription(
      const v1::SetSubscriptionRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("SetSubscription"); !st.ok()) co_return st;
    if (FindBoxLocked(request.account(), request.name()) == nullptr) {
      co_return absl::NotFoundError("no such mailbox");
    }
    auto key = std::make_pair(Lower(request.account()), request.name());
    if (request.subscribed()) {
      unsubscribed_.erase(key);
    } else {
      unsubscribed_.insert(key);
    }
    co_return v1::SetSubscriptionResponse();
  }
  asio::awaitable<absl::StatusOr<v1::StoreFlagsResponse>> StoreFlags(
      const v1::StoreFlagsRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("StoreFlags"); !st.ok()) co_return st;
    auto* box = FindBoxLocked(request.account(), request.mailbox());
    if (box == nullptr) co_return absl::NotFoundError("no such mailbox");
    std::set<uint32_t> uids(request.uids().begin(), request.uids().end());
    v1::StoreFlagsResponse resp;
    for (auto& msg : *box) {
      if (uids.count(msg.uid) == 0) continue;
      std::set<std::string> flags(msg.flags.begin(), msg.flags.end());
      if (request.operation() == v1::FLAG_OPERATION_REPLACE) flags.clear();
      for (const auto& f : request.flags()) {
        if (f == "\\Recent") continue;
        if (request.operation() == v1::FLAG_OPERATION_REMOVE) {
          flags.erase(f);
        } else {
          flags.insert(f);
        }
      }
      msg.flags.assign(flags.begin(), flags.end());
      auto* info = resp.add_messages();
      info->set_uid(msg.uid);
      for (const auto& f : msg.flags) info->add_flags(f);
    }
    co_return resp;
  }
  asio::awaitable<absl::StatusOr<v1::AppendMessageResponse>> AppendMessage(
      const v1::AppendMetadata& metadata, std::string body) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("AppendMessage"); !st.ok()) co_return st;
    auto* box = FindBoxLocked(metadata.account(), metadata.mailbox());
    if (box == nullptr) co_return absl::NotFoundError("no such mailbox");
    if (over_quota_.count(Lower(metadata.account()))) {
      co_return absl::ResourceExhaustedError("mailbox quota exceeded");
    }
    uint32_t uid = NextUidLocked(metadata.account(), metadata.mailbox(), *box);
    box->push_back({uid, std::move(body),
                    std::vector<std::string>(metadata.flags().begin(), metadata.flags().end()),
                    ""});
    v1::AppendMessageResponse resp;
    resp.set_uidvalidity(1);
    resp.set_uid(uid);
    co_return resp;
  }
  asio::awaitable<absl::StatusOr<v1::CopyMessagesResponse>> CopyMessages(
      const v1::CopyMessagesRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("CopyMessages"); !st.ok()) co_return st;
    auto* from = FindBoxLocked(request.account(), request.mailbox());
    auto* to = FindBoxLocked(request.account(), request.destination());
    if (from == nullptr || to == nullptr) co_return absl::NotFoundError("no such mailbox");
    std::set<uint32_t> uids(request.uids().begin(), request.uids().end());
    v1::CopyMessagesResponse resp;
    resp.set_uidvalidity(1);
    std::vector<StoredMessage> copies, kept;
    for (auto& msg : *from) {
      if (uids.count(msg.uid) == 0) {
        kept.push_back(msg);
        continue;
      }
      resp.add_source_uids(msg.uid);
      copies.push_back(msg);
    }
    for (auto& msg : copies) {
      msg.uid = NextUidLocked(request.account(), request.destination(), *to);
      resp.add_destination_uids(msg.uid);
      to->push_back(msg);
    }
    if (request.move()) *FindBoxLocked(request.account(), request.mailbox()) = std::move(kept);
    co_return resp;
  }
  asio::awaitable<absl::StatusOr<v1::GetQuotaResponse>> GetQuota(
      const v1::GetQuotaRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("GetQuota"); !st.ok()) co_return st;
    auto a = mailboxes_.find(Lower(request.account()));
    if (a == mailboxes_.end()) co_return absl::NotFoundError("no such account");
    v1::GetQuotaResponse resp;
    for (const auto& [name, msgs] : a->second) {
      for (const auto& m : msgs) {
        resp.set_used_bytes(resp.used_bytes() + m.body.size());
        resp.set_messages(resp.messages() + 1);
      }
    }
    resp.set_quota_bytes(1024 * 1024);
    co_return resp;
  }

  // POP3 maildrop locks: one holder per account, released when the handle goes.
  class FakeMaildropLock : public clients::MaildropLock {
   public:
    FakeMaildropLock(FakeMailboxClient* fake, std::string account)
        : fake_(fake), account_(std::move(account)) {}
    ~FakeMaildropLock() override {
      std::lock_guard<std::mutex> l(fake_->mu_);
      fake_->locked_.erase(account_);
    }
    bool lost() const override {
      std::lock_guard<std::mutex> l(fake_->mu_);
      return fake_->lost_locks_.count(account_) != 0;
    }

   private:
    FakeMailboxClient* fake_;
    std::string account_;
  };
  asio::awaitable<absl::StatusOr<std::unique_ptr<clients::MaildropLock>>> HoldMaildropLock(
      const std::string& account) override {
    std::lock_guard<std::mutex> l(mu_);
    if (auto st = Enter("HoldMaildropLock"); !st.ok()) co_return st;
    std::string a = Lower(account);
    if (!locked_.insert(a).second) co_return absl::FailedPreconditionError("maildrop in use");
    lost_locks_.erase(a);
    co_return std::unique_ptr<clients::MaildropLock>(new FakeMaildropLock(this, a));
  }
  bool maildrop_locked(const std::string& account) const {
    std::lock_guard<std::mutex> l(mu_);
    return locked_.count(Lower(account)) != 0;
  }
  // Makes the held lock of `account` report lost() (mailbox-store lost it).
  void LoseMaildropLock(const std::string& account) {
    std::lock_guard<std::mutex> l(mu_);
    lost_locks_.insert(Lower(account));
  }

 private:
  absl::Status Enter(const std::string& method) {
    ++calls_[method];
    auto it = errors_.find(method);
    if (it == errors_.end()) return absl::OkStatus();
    absl::Status st = it->second.status;
    if (it->second.remaining > 0 && --it->second.remaining == 0) errors_.erase(it);
    return st;
  }

  v1::LookupRecipientResponse LookupLocked(const std::string& address) const {
    v1::LookupRecipientResponse resp;
    std::string domain = DomainOf(address);
    if (domains_.count(domain) == 0) {
      resp.set_kind(v1::RECIPIENT_KIND_REMOTE);
      return resp;
    }
    auto add_target = [&](const std::string& t) {
      std::string lt = Lower(t);
      if (accounts_.count(lt)) {
        resp.add_accounts(lt);
        if (over_quota_.count(lt)) resp.set_over_quota(true);
      } else if (domains_.count(DomainOf(lt)) == 0) {
        resp.add_forward_to(t);
      }
    };
    if (accounts_.count(address)) {
      add_target(address);
    } else if (auto a = aliases_.find(address); a != aliases_.end()) {
      for (const auto& t : a->second) add_target(t);
    } else if (auto c = aliases_.find("@" + domain); c != aliases_.end()) {
      for (const auto& t : c->second) add_target(t);
    }
    resp.set_kind(resp.accounts_size() + resp.forward_to_size() > 0
                      ? v1::RECIPIENT_KIND_LOCAL
                      : v1::RECIPIENT_KIND_UNKNOWN_USER);
    return resp;
  }

  // UIDs are never reused in a mailbox, even after the last message is expunged.
  uint32_t NextUidLocked(const std::string& account, const std::string& mailbox,
                         const std::vector<StoredMessage>& box) {
    uint32_t& next = next_uid_[{Lower(account), mailbox}];
    next = std::max(next, box.empty() ? 1u : box.back().uid + 1);
    return next++;
  }

  std::vector<StoredMessage>* FindBoxLocked(const std::string& account,
                                            const std::string& mailbox) {
    auto a = mailboxes_.find(Lower(account));
    if (a == mailboxes_.end()) return nullptr;
    auto m = a->second.find(mailbox);
    return m == a->second.end() ? nullptr : &m->second;
  }

  mutable std::mutex mu_;
  std::set<std::string> domains_;
  std::map<std::string, std::string> accounts_;  // address -> password
  std::map<std::string, std::vector<std::string>> aliases_;
  std::set<std::string> over_quota_;
  struct InjectedError {
    absl::Status status;
    int remaining;  // calls still to fail; < 0 = all
  };
  std::map<std::string, InjectedError> errors_;
  std::map<std::string, int> calls_;
  std::set<std::pair<std::string, std::string>> delivered_;  // (transaction, account)
  std::vector<Delivery> deliveries_;
  std::map<std::string, std::map<std::string, std::vector<StoredMessage>>> mailboxes_;
  std::set<std::pair<std::string, std::string>> unsubscribed_;  // (account, mailbox)
  std::map<std::pair<std::string, std::string>, uint32_t> next_uid_;
  std::map<std::pair<std::string, std::string>, uint32_t> first_recent_;  // \Recent mark
  std::set<std::string> locked_;      // accounts whose maildrop lock is held
  std::set<std::string> lost_locks_;  // held locks made to report lost()
};

}  // namespace mail::fakes

#endif  // MAILSUITE_TESTS_FAKES_FAKE_MAILBOX_CLIENT_H_
