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
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/libs/clients/mailbox_client.h"

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
      if (name != "INBOX") m->set_special_use("\\" + name);
      m->set_uidvalidity(1);
      m->set_uidnext(msgs.empty() ? 1 : msgs.back().uid + 1);
      m->set_messages(static_cast<uint32_t>(msgs.size()));
      m->set_subscribed(true);
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
    for (const auto& msg : *box) {
      auto* info = resp.add_messages();
      info->set_uid(msg.uid);
      info->set_size(msg.body.size());
      for (const auto& f : msg.flags) info->add_flags(f);
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
};

}  // namespace mail::fakes

#endif  // MAILSUITE_TESTS_FAKES_FAKE_MAILBOX_CLIENT_H_
