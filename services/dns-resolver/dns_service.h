// gRPC DnsService (proto/mail/v1/dns_service.proto) over Lookups. Runs on the gRPC
// sync server's handler threads; each call waits for its answer until the caller's
// deadline or `max_wait`, whichever comes first. Owns nothing.
#ifndef MAILSUITE_SERVICES_DNS_RESOLVER_DNS_SERVICE_H_
#define MAILSUITE_SERVICES_DNS_RESOLVER_DNS_SERVICE_H_

#include "absl/time/time.h"
#include "mail/v1/dns_service.grpc.pb.h"
#include "services/dns-resolver/lookups.h"

namespace mail::dns_resolver {

class DnsServiceImpl final : public v1::DnsService::Service {
 public:
  DnsServiceImpl(Lookups* lookups, absl::Duration max_wait)
      : lookups_(lookups), max_wait_(max_wait) {}

  grpc::Status ResolveMx(grpc::ServerContext* ctx, const v1::ResolveMxRequest* request,
                         v1::ResolveMxResponse* response) override;
  grpc::Status ResolveAddress(grpc::ServerContext* ctx, const v1::ResolveAddressRequest* request,
                              v1::ResolveAddressResponse* response) override;
  grpc::Status ResolveTxt(grpc::ServerContext* ctx, const v1::ResolveTxtRequest* request,
                          v1::ResolveTxtResponse* response) override;
  grpc::Status ResolvePtr(grpc::ServerContext* ctx, const v1::ResolvePtrRequest* request,
                          v1::ResolvePtrResponse* response) override;

 private:
  absl::Time Deadline(const grpc::ServerContext* ctx) const;

  Lookups* const lookups_;
  const absl::Duration max_wait_;
};

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_SERVICES_DNS_RESOLVER_DNS_SERVICE_H_
