// AccountService (proto/mail/v1/account_service.proto): domains, accounts and aliases,
// for mailctl. gRPC calls it from its thread pool; the pool and metrics are shared and
// owned by main().
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_ACCOUNT_SERVICE_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_ACCOUNT_SERVICE_H_

#include "absl/status/status.h"
#include "mail/v1/account_service.grpc.pb.h"
#include "services/libs/pg/pg.h"
#include "services/mailbox-store/store_metrics.h"

namespace mail::mailbox_store {

class AccountServiceImpl final : public v1::AccountService::Service {
 public:
  AccountServiceImpl(pg::Pool& pool, StoreMetrics& metrics) : pool_(pool), metrics_(metrics) {}

  grpc::Status AddDomain(grpc::ServerContext*, const v1::AddDomainRequest* request,
                         v1::AddDomainResponse* response) override;
  grpc::Status ListDomains(grpc::ServerContext*, const v1::ListDomainsRequest* request,
                           v1::ListDomainsResponse* response) override;
  grpc::Status RemoveDomain(grpc::ServerContext*, const v1::RemoveDomainRequest* request,
                            v1::RemoveDomainResponse* response) override;
  grpc::Status AddAccount(grpc::ServerContext*, const v1::AddAccountRequest* request,
                          v1::AddAccountResponse* response) override;
  grpc::Status ListAccounts(grpc::ServerContext*, const v1::ListAccountsRequest* request,
                            v1::ListAccountsResponse* response) override;
  grpc::Status RemoveAccount(grpc::ServerContext*, const v1::RemoveAccountRequest* request,
                             v1::RemoveAccountResponse* response) override;
  grpc::Status SetPassword(grpc::ServerContext*, const v1::SetPasswordRequest* request,
                           v1::SetPasswordResponse* response) override;
  grpc::Status SetQuota(grpc::ServerContext*, const v1::SetQuotaRequest* request,
                        v1::SetQuotaResponse* response) override;
  grpc::Status AddAlias(grpc::ServerContext*, const v1::AddAliasRequest* request,
                        v1::AddAliasResponse* response) override;
  grpc::Status ListAliases(grpc::ServerContext*, const v1::ListAliasesRequest* request,
                           v1::ListAliasesResponse* response) override;
  grpc::Status RemoveAlias(grpc::ServerContext*, const v1::RemoveAliasRequest* request,
                           v1::RemoveAliasResponse* response) override;

 private:
  absl::Status DoAddDomain(const v1::AddDomainRequest& request);
  absl::Status DoListDomains(v1::ListDomainsResponse* response);
  absl::Status DoRemoveDomain(const v1::RemoveDomainRequest& request);
  absl::Status DoAddAccount(const v1::AddAccountRequest& request);
  absl::Status DoListAccounts(const v1::ListAccountsRequest& request,
                              v1::ListAccountsResponse* response);
  absl::Status DoRemoveAccount(const v1::RemoveAccountRequest& request);
  absl::Status DoSetPassword(const v1::SetPasswordRequest& request);
  absl::Status DoSetQuota(const v1::SetQuotaRequest& request);
  absl::Status DoAddAlias(const v1::AddAliasRequest& request);
  absl::Status DoListAliases(const v1::ListAliasesRequest& request,
                             v1::ListAliasesResponse* response);
  absl::Status DoRemoveAlias(const v1::RemoveAliasRequest& request);

  pg::Pool& pool_;
  StoreMetrics& metrics_;
};

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_ACCOUNT_SERVICE_H_
