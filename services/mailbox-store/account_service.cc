// AccountService: domains, accounts and aliases; see account_service.h.
#include "services/mailbox-store/account_service.h"

#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/address.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/password.h"

namespace mail::mailbox_store {
namespace {

// The mailboxes every new account gets, with their RFC 6154 special-use attributes.
constexpr char kCreateMailboxes[] =
    "INSERT INTO mailstore.mailboxes (account_id, name, special_use) VALUES "
    "($1, 'INBOX', NULL), ($1, 'Sent', '\\Sent'), ($1, 'Drafts', '\\Drafts'), "
    "($1, 'Trash', '\\Trash'), ($1, 'Junk', '\\Junk'), ($1, 'Archive', '\\Archive')";

absl::Status CheckQuota(uint64_t quota) {
  if (quota > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError("quota too large");
  }
  return absl::OkStatus();
}

// Rewrites the generic unique-violation error into a sentence for the operator.
absl::Status Explain(absl::Status status, absl::StatusCode code, const std::string& message) {
  if (status.code() == code) return absl::Status(code, message);
  return status;
}

// Blob ids of the messages about to be deleted with an account or a domain, as a
// PostgreSQL array literal, so the orphans can be collected afterwards.
absl::StatusOr<std::string> BlobsOf(pg::Connection& conn, const std::string& where, int64_t id) {
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec(absl::StrCat("SELECT coalesce(array_agg(DISTINCT m.blob_id)::text, '{}') FROM "
                             "mailstore.messages m JOIN mailstore.accounts a ON a.id = "
                             "m.account_id WHERE ",
                             where),
                {id}));
  return std::string(r.Get(0, 0));
}

// Runs a listing `select` (whose table of accounts or aliases is `a`) in the order
// `order_by`, limited to `domain` when it is not empty (NOT_FOUND if it is unknown).
absl::StatusOr<pg::Result> ListInDomain(pg::Connection& conn, const std::string& select,
                                        const std::string& domain, const std::string& order_by) {
  if (domain.empty()) return conn.Exec(absl::StrCat(select, " ORDER BY ", order_by));
  MAIL_ASSIGN_OR_RETURN(std::string normalized, NormalizeDomain(domain));
  MAIL_ASSIGN_OR_RETURN(int64_t domain_id, FindDomainId(conn, normalized));
  return conn.Exec(absl::StrCat(select, " WHERE a.domain_id = $1 ORDER BY ", order_by),
                   {domain_id});
}

// Sets one column of an account's row (`set` is e.g. "quota_bytes = $2").
absl::StatusOr<AccountRow> UpdateAccount(pg::Pool& pool, const std::string& address,
                                         const char* set, const pg::Param& value) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, address));
  MAIL_RETURN_IF_ERROR(
      conn->Exec(absl::StrCat("UPDATE mailstore.accounts SET ", set, " WHERE id = $1"),
                 {account.id, value})
          .status());
  return account;
}

}  // namespace

// ---- gRPC entry points --------------------------------------------------------------

grpc::Status AccountServiceImpl::AddDomain(grpc::ServerContext*, const v1::AddDomainRequest* req,
                                           v1::AddDomainResponse*) {
  return RunRpc(metrics_, "AddDomain", [&] { return DoAddDomain(*req); });
}
grpc::Status AccountServiceImpl::ListDomains(grpc::ServerContext*, const v1::ListDomainsRequest*,
                                             v1::ListDomainsResponse* resp) {
  return RunRpc(metrics_, "ListDomains", [&] { return DoListDomains(resp); });
}
grpc::Status AccountServiceImpl::RemoveDomain(grpc::ServerContext*,
                                              const v1::RemoveDomainRequest* req,
                                              v1::RemoveDomainResponse*) {
  return RunRpc(metrics_, "RemoveDomain", [&] { return DoRemoveDomain(*req); });
}
grpc::Status AccountServiceImpl::AddAccount(grpc::ServerContext*, const v1::AddAccountRequest* req,
                                            v1::AddAccountResponse*) {
  return RunRpc(metrics_, "AddAccount", [&] { return DoAddAccount(*req); });
}
grpc::Status AccountServiceImpl::ListAccounts(grpc::ServerContext*,
                                              const v1::ListAccountsRequest* req,
                                              v1::ListAccountsResponse* resp) {
  return RunRpc(metrics_, "ListAccounts", [&] { return DoListAccounts(*req, resp); });
}
grpc::Status AccountServiceImpl::RemoveAccount(grpc::ServerContext*,
                                               const v1::RemoveAccountRequest* req,
                                               v1::RemoveAccountResponse*) {
  return RunRpc(metrics_, "RemoveAccount", [&] { return DoRemoveAccount(*req); });
}
grpc::Status AccountServiceImpl::SetPassword(grpc::ServerContext*,
                                             const v1::SetPasswordRequest* req,
                                             v1::SetPasswordResponse*) {
  return RunRpc(metrics_, "SetPassword", [&] { return DoSetPassword(*req); });
}
grpc::Status AccountServiceImpl::SetQuota(grpc::ServerContext*, const v1::SetQuotaRequest* req,
                                          v1::SetQuotaResponse*) {
  return RunRpc(metrics_, "SetQuota", [&] { return DoSetQuota(*req); });
}
grpc::Status AccountServiceImpl::AddAlias(grpc::ServerContext*, const v1::AddAliasRequest* req,
                                          v1::AddAliasResponse*) {
  return RunRpc(metrics_, "AddAlias", [&] { return DoAddAlias(*req); });
}
grpc::Status AccountServiceImpl::ListAliases(grpc::ServerContext*,
                                             const v1::ListAliasesRequest* req,
                                             v1::ListAliasesResponse* resp) {
  return RunRpc(metrics_, "ListAliases", [&] { return DoListAliases(*req, resp); });
}
grpc::Status AccountServiceImpl::RemoveAlias(grpc::ServerContext*,
                                             const v1::RemoveAliasRequest* req,
                                             v1::RemoveAliasResponse*) {
  return RunRpc(metrics_, "RemoveAlias", [&] { return DoRemoveAlias(*req); });
}

// ---- domains ------------------------------------------------------------------------

absl::Status AccountServiceImpl::DoAddDomain(const v1::AddDomainRequest& req) {
  MAIL_ASSIGN_OR_RETURN(std::string name, NormalizeDomain(req.name()));
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  absl::Status status =
      conn->Exec("INSERT INTO mailstore.domains (name) VALUES ($1)", {name}).status();
  MAIL_RETURN_IF_ERROR(Explain(status, absl::StatusCode::kAlreadyExists,
                               absl::StrCat("domain ", name, " already exists")));
  mail::base::LogInfo("domain added", {{"domain", name}});
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoListDomains(v1::ListDomainsResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec("SELECT d.name, count(a.id), extract(epoch FROM d.created_at)::bigint "
                 "FROM mailstore.domains d LEFT JOIN mailstore.accounts a ON a.domain_id = d.id "
                 "GROUP BY d.id ORDER BY d.name"));
  for (int i = 0; i < r.rows(); ++i) {
    v1::Domain* d = resp->add_domains();
    d->set_name(std::string(r.Get(i, 0)));
    d->set_accounts(static_cast<uint32_t>(r.GetInt(i, 1)));
    d->set_created_unix(r.GetInt(i, 2));
  }
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoRemoveDomain(const v1::RemoveDomainRequest& req) {
  MAIL_ASSIGN_OR_RETURN(std::string name, NormalizeDomain(req.name()));
  MAIL_RETURN_IF_ERROR(pg::InTransaction(pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(
        pg::Result d,
        conn.Exec("SELECT id FROM mailstore.domains WHERE name = $1 FOR UPDATE", {name}));
    if (d.rows() == 0) return absl::NotFoundError(absl::StrCat("domain ", name, " does not exist"));
    int64_t domain_id = d.GetInt(0, 0);
    MAIL_ASSIGN_OR_RETURN(
        pg::Result n,
        conn.Exec("SELECT count(*) FROM mailstore.accounts WHERE domain_id = $1", {domain_id}));
    int64_t accounts = n.GetInt(0, 0);
    if (accounts > 0 && !req.force()) {
      return absl::FailedPreconditionError(absl::StrCat("domain ", name, " still has ", accounts,
                                                        accounts == 1 ? " account" : " accounts",
                                                        " (use --force to remove them)"));
    }
    MAIL_ASSIGN_OR_RETURN(std::string blobs, BlobsOf(conn, "a.domain_id = $1", domain_id));
    // Accounts, their mailboxes, messages and delivery log, and the domain's aliases
    // go by ON DELETE CASCADE.
    MAIL_RETURN_IF_ERROR(
        conn.Exec("DELETE FROM mailstore.domains WHERE id = $1", {domain_id}).status());
    CollectOrphanBlobs(conn, blobs);
    return absl::OkStatus();
  }));
  mail::base::LogInfo("domain removed", {{"domain", name}});
  return absl::OkStatus();
}

// ---- accounts -----------------------------------------------------------------------

absl::Status AccountServiceImpl::DoAddAccount(const v1::AddAccountRequest& req) {
  MAIL_ASSIGN_OR_RETURN(Address address, ParseAddress(req.address()));
  MAIL_RETURN_IF_ERROR(CheckQuota(req.quota_bytes()));
  // Hash before borrowing a connection: it takes ~0.1 s.
  MAIL_ASSIGN_OR_RETURN(std::string hash, HashPassword(req.password()));
  absl::Status status = pg::InTransaction(pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(int64_t domain_id, FindDomainId(conn, address.domain));
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Exec("INSERT INTO mailstore.accounts (domain_id, local_part, password_hash, "
                  "quota_bytes) VALUES ($1, $2, $3, $4) RETURNING id",
                  {domain_id, address.local, hash, static_cast<int64_t>(req.quota_bytes())}));
    return conn.Exec(kCreateMailboxes, {r.GetInt(0, 0)}).status();
  });
  MAIL_RETURN_IF_ERROR(Explain(status, absl::StatusCode::kAlreadyExists,
                               absl::StrCat("account ", address.ToString(), " already exists")));
  mail::base::LogInfo("account added", {{"account", address.ToString()}});
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoListAccounts(const v1::ListAccountsRequest& req,
                                                v1::ListAccountsResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      ListInDomain(*conn,
                   "SELECT a.local_part || '@' || d.name, a.quota_bytes, a.used_bytes, "
                   "a.disabled FROM mailstore.accounts a JOIN mailstore.domains d ON d.id = "
                   "a.domain_id",
                   req.domain(), "d.name, lower(a.local_part)"));
  for (int i = 0; i < r.rows(); ++i) {
    v1::Account* a = resp->add_accounts();
    a->set_address(std::string(r.Get(i, 0)));
    a->set_quota_bytes(static_cast<uint64_t>(r.GetInt(i, 1)));
    a->set_used_bytes(static_cast<uint64_t>(std::max<int64_t>(0, r.GetInt(i, 2))));
    a->set_disabled(r.GetBool(i, 3));
  }
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoRemoveAccount(const v1::RemoveAccountRequest& req) {
  std::string removed;
  MAIL_RETURN_IF_ERROR(pg::InTransaction(pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.address()));
    MAIL_ASSIGN_OR_RETURN(std::string blobs, BlobsOf(conn, "a.id = $1", account.id));
    MAIL_RETURN_IF_ERROR(
        conn.Exec("DELETE FROM mailstore.accounts WHERE id = $1", {account.id}).status());
    CollectOrphanBlobs(conn, blobs);
    removed = account.address;
    return absl::OkStatus();
  }));
  mail::base::LogInfo("account removed", {{"account", removed}});
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoSetPassword(const v1::SetPasswordRequest& req) {
  MAIL_ASSIGN_OR_RETURN(std::string hash, HashPassword(req.password()));
  MAIL_ASSIGN_OR_RETURN(AccountRow account,
                        UpdateAccount(pool_, req.address(), "password_hash = $2", hash));
  mail::base::LogInfo("password changed", {{"account", account.address}});
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoSetQuota(const v1::SetQuotaRequest& req) {
  MAIL_RETURN_IF_ERROR(CheckQuota(req.quota_bytes()));
  MAIL_ASSIGN_OR_RETURN(AccountRow account, UpdateAccount(pool_, req.address(), "quota_bytes = $2",
                                                          static_cast<int64_t>(req.quota_bytes())));
  mail::base::LogInfo("quota changed", {{"account", account.address},
                                        {"quota_bytes", std::to_string(req.quota_bytes())}});
  return absl::OkStatus();
}

// ---- aliases ------------------------------------------------------------------------

absl::Status AccountServiceImpl::DoAddAlias(const v1::AddAliasRequest& req) {
  MAIL_ASSIGN_OR_RETURN(Address address, ParseAliasAddress(req.address()));
  MAIL_ASSIGN_OR_RETURN(Address target, ParseAddress(req.target()));
  if (absl::AsciiStrToLower(address.local) == absl::AsciiStrToLower(target.local) &&
      address.domain == target.domain) {
    return absl::InvalidArgumentError("an alias cannot point to itself");
  }
  absl::Status status = pg::InTransaction(pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(int64_t domain_id, FindDomainId(conn, address.domain));
    // A local target must exist, which catches typos; remote targets are forwarded.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result d,
        conn.Exec("SELECT id FROM mailstore.domains WHERE name = $1", {target.domain}));
    if (d.rows() > 0) {
      MAIL_ASSIGN_OR_RETURN(
          pg::Result known,
          conn.Exec("SELECT EXISTS (SELECT 1 FROM mailstore.accounts WHERE domain_id = $1 AND "
                    "lower(local_part) = lower($2)) OR EXISTS (SELECT 1 FROM mailstore.aliases "
                    "WHERE domain_id = $1 AND lower(local_part) = lower($2))",
                    {d.GetInt(0, 0), target.local}));
      if (!known.GetBool(0, 0)) {
        return absl::NotFoundError(
            absl::StrCat("no account or alias ", target.ToString(), " to point to"));
      }
    }
    return conn
        .Exec("INSERT INTO mailstore.aliases (domain_id, local_part, target) VALUES ($1, $2, $3)",
              {domain_id, address.local, target.ToString()})
        .status();
  });
  MAIL_RETURN_IF_ERROR(Explain(
      status, absl::StatusCode::kAlreadyExists,
      absl::StrCat("alias ", address.ToString(), " -> ", target.ToString(), " already exists")));
  mail::base::LogInfo("alias added",
                      {{"alias", address.ToString()}, {"target", target.ToString()}});
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoListAliases(const v1::ListAliasesRequest& req,
                                               v1::ListAliasesResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(pg::Result r,
                        ListInDomain(*conn,
                                     "SELECT a.local_part || '@' || d.name, a.target FROM "
                                     "mailstore.aliases a JOIN mailstore.domains d ON d.id = "
                                     "a.domain_id",
                                     req.domain(), "d.name, lower(a.local_part), a.id"));
  for (int i = 0; i < r.rows(); ++i) {
    v1::Alias* a = resp->add_aliases();
    a->set_address(std::string(r.Get(i, 0)));
    a->set_target(std::string(r.Get(i, 1)));
  }
  return absl::OkStatus();
}

absl::Status AccountServiceImpl::DoRemoveAlias(const v1::RemoveAliasRequest& req) {
  MAIL_ASSIGN_OR_RETURN(Address address, ParseAliasAddress(req.address()));
  std::string target;
  if (!req.target().empty()) {
    MAIL_ASSIGN_OR_RETURN(Address t, ParseAddress(req.target()));
    target = t.ToString();
  }
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(int64_t domain_id, FindDomainId(*conn, address.domain));
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec("DELETE FROM mailstore.aliases WHERE domain_id = $1 AND lower(local_part) = "
                 "lower($2) AND ($3::text IS NULL OR lower(target) = lower($3))",
                 {domain_id, address.local,
                  target.empty() ? pg::Param(std::nullopt) : pg::Param(target)}));
  if (r.affected() == 0) {
    return absl::NotFoundError(
        target.empty()
            ? absl::StrCat("alias ", address.ToString(), " does not exist")
            : absl::StrCat("alias ", address.ToString(), " -> ", target, " does not exist"));
  }
  mail::base::LogInfo("alias removed", {{"alias", address.ToString()}, {"target", target}});
  return absl::OkStatus();
}

}  // namespace mail::mailbox_store
