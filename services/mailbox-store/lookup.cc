// Domain, account and mailbox lookups and alias resolution; see lookup.h.
#include "services/mailbox-store/lookup.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/address.h"

namespace mail::mailbox_store {
namespace {

constexpr char kAccountColumns[] =
    "a.id, a.local_part || '@' || d.name, a.quota_bytes, a.used_bytes, a.disabled";

AccountRow AccountFromRow(const pg::Result& r, int row) {
  AccountRow a;
  a.id = r.GetInt(row, 0);
  a.address = std::string(r.Get(row, 1));
  a.quota_bytes = r.GetInt(row, 2);
  a.used_bytes = r.GetInt(row, 3);
  a.disabled = r.GetBool(row, 4);
  return a;
}

// Alias levels followed: address → alias target → (alias target →) account.
constexpr int kMaxAliasDepth = 1;

class Resolver {
 public:
  explicit Resolver(pg::Connection& conn) : conn_(conn) {}

  // Resolves local@domain_id at `depth`; returns whether anything matched.
  absl::StatusOr<bool> ResolveLocal(int64_t domain_id, const std::string& local, int depth) {
    if (depth <= kMaxAliasDepth) {
      MAIL_ASSIGN_OR_RETURN(std::vector<std::string> targets, AliasTargets(domain_id, local));
      if (!targets.empty()) {
        for (const std::string& t : targets) MAIL_RETURN_IF_ERROR(ResolveTarget(t, depth + 1));
        return true;
      }
    }
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn_.Exec(absl::StrCat("SELECT ", kAccountColumns,
                                " FROM mailstore.accounts a JOIN mailstore.domains d ON d.id = "
                                "a.domain_id WHERE a.domain_id = $1 AND lower(a.local_part) = "
                                "lower($2)"),
                   {domain_id, local}));
    if (r.rows() > 0) {
      AddAccount(AccountFromRow(r, 0));
      return true;
    }
    if (depth > 0) return false;
    // RFC 5233 subaddress: bob+lists@ reaches bob@ when bob+lists@ is not itself known.
    std::string base = StripSubaddress(local);
    if (!base.empty()) {
      MAIL_ASSIGN_OR_RETURN(bool found, ResolveLocal(domain_id, base, depth + 1));
      if (found) return true;
    }
    MAIL_ASSIGN_OR_RETURN(std::vector<std::string> catch_all, AliasTargets(domain_id, ""));
    for (const std::string& t : catch_all) MAIL_RETURN_IF_ERROR(ResolveTarget(t, depth + 1));
    return !catch_all.empty();
  }

  Resolution Take() { return std::move(result_); }
  Resolution& result() { return result_; }

 private:
  absl::StatusOr<std::vector<std::string>> AliasTargets(int64_t domain_id,
                                                        const std::string& local) {
    MAIL_ASSIGN_OR_RETURN(pg::Result r,
                          conn_.Exec("SELECT target FROM mailstore.aliases WHERE domain_id = $1 "
                                     "AND lower(local_part) = lower($2) ORDER BY id",
                                     {domain_id, local}));
    std::vector<std::string> targets;
    for (int i = 0; i < r.rows(); ++i) targets.emplace_back(r.Get(i, 0));
    return targets;
  }

  absl::Status ResolveTarget(const std::string& target, int depth) {
    absl::StatusOr<Address> address = SplitEnvelopeAddress(target);
    if (!address.ok()) return absl::OkStatus();  // validated on AddAlias; ignore legacy junk
    MAIL_ASSIGN_OR_RETURN(
        pg::Result d,
        conn_.Exec("SELECT id FROM mailstore.domains WHERE name = $1", {address->domain}));
    if (d.rows() == 0) {
      std::string lower = absl::AsciiStrToLower(target);
      if (forward_seen_.insert(lower).second) result_.forward_to.push_back(target);
      return absl::OkStatus();
    }
    MAIL_ASSIGN_OR_RETURN(bool found, ResolveLocal(d.GetInt(0, 0), address->local, depth));
    if (!found) {
      mail::base::LogDebug("alias target reaches nothing", {{"target", target}});
    }
    return absl::OkStatus();
  }

  void AddAccount(AccountRow account) {
    if (account_seen_.insert(account.id).second) result_.accounts.push_back(std::move(account));
  }

  pg::Connection& conn_;
  Resolution result_;
  std::set<int64_t> account_seen_;
  std::set<std::string> forward_seen_;
};

}  // namespace

absl::StatusOr<int64_t> FindDomainId(pg::Connection& conn, const std::string& domain) {
  MAIL_ASSIGN_OR_RETURN(pg::Result r,
                        conn.Exec("SELECT id FROM mailstore.domains WHERE name = $1", {domain}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("domain ", domain, " does not exist"));
  return r.GetInt(0, 0);
}

absl::StatusOr<AccountRow> FindAccount(pg::Connection& conn, const std::string& address) {
  MAIL_ASSIGN_OR_RETURN(Address parsed, SplitEnvelopeAddress(address));
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec(absl::StrCat("SELECT ", kAccountColumns,
                             " FROM mailstore.accounts a JOIN mailstore.domains d ON d.id = "
                             "a.domain_id WHERE d.name = $1 AND lower(a.local_part) = lower($2)"),
                {parsed.domain, parsed.local}));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("account ", parsed.ToString(), " does not exist"));
  }
  return AccountFromRow(r, 0);
}

absl::StatusOr<MailboxRow> FindMailbox(pg::Connection& conn, int64_t account_id,
                                       const std::string& name) {
  // RFC 3501 §5.1: INBOX is case-insensitive; other names are not.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec("SELECT id, name, uidvalidity, uidnext FROM mailstore.mailboxes WHERE "
                "account_id = $1 AND (name = $2 OR (upper($2) = 'INBOX' AND name = 'INBOX'))",
                {account_id, name}));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("mailbox ", name, " does not exist"));
  MailboxRow m;
  m.id = r.GetInt(0, 0);
  m.name = std::string(r.Get(0, 1));
  m.uidvalidity = r.GetInt(0, 2);
  m.uidnext = r.GetInt(0, 3);
  return m;
}

absl::StatusOr<Resolution> ResolveRecipient(pg::Connection& conn, const std::string& address) {
  MAIL_ASSIGN_OR_RETURN(Address parsed, SplitEnvelopeAddress(address));
  MAIL_ASSIGN_OR_RETURN(
      pg::Result d, conn.Exec("SELECT id FROM mailstore.domains WHERE name = $1", {parsed.domain}));
  Resolver resolver(conn);
  if (d.rows() == 0) return resolver.Take();
  resolver.result().local_domain = true;
  MAIL_RETURN_IF_ERROR(resolver.ResolveLocal(d.GetInt(0, 0), parsed.local, 0).status());
  return resolver.Take();
}

void CollectOrphanBlobs(pg::Connection& conn, const std::string& blob_id_array) {
  if (blob_id_array == "{}") return;
  if (!conn.Exec("SAVEPOINT collect_blobs").ok()) return;
  absl::StatusOr<pg::Result> r = conn.Exec(
      "DELETE FROM mailstore.blobs b WHERE b.id = ANY($1::bigint[]) AND NOT EXISTS "
      "(SELECT 1 FROM mailstore.messages m WHERE m.blob_id = b.id)",
      {blob_id_array});
  if (r.ok()) {
    (void)conn.Exec("RELEASE SAVEPOINT collect_blobs");
  } else {
    // A concurrent delivery reused one of them; a later expunge collects it.
    mail::base::LogInfo("orphan blobs left for later", {{"error", r.status().ToString()}});
    (void)conn.Exec("ROLLBACK TO SAVEPOINT collect_blobs");
  }
}

}  // namespace mail::mailbox_store
