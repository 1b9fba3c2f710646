// DnsClient: what smtp-ingress and outbound-relay ask of dns-resolver, as awaitables.
#ifndef MAILSUITE_SERVICES_LIBS_CLIENTS_DNS_CLIENT_H_
#define MAILSUITE_SERVICES_LIBS_CLIENTS_DNS_CLIENT_H_

#include <asio/awaitable.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mail/v1/dns_service.grpc.pb.h"

namespace mail::clients {

class DnsClient {
 public:
  virtual ~DnsClient() = default;
  virtual asio::awaitable<absl::StatusOr<v1::ResolveMxResponse>> ResolveMx(
      const v1::ResolveMxRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::ResolveAddressResponse>> ResolveAddress(
      const v1::ResolveAddressRequest& request) = 0;
  // Reverse lookup (PTR) of an IP address; names are not forward-confirmed. Not pure
  // so that test doubles written before it keep compiling (they answer UNIMPLEMENTED).
  virtual asio::awaitable<absl::StatusOr<v1::ResolvePtrResponse>> ResolvePtr(
      const v1::ResolvePtrRequest& request) {
    (void)request;
    co_return absl::UnimplementedError("ResolvePtr");
  }
};

std::unique_ptr<DnsClient> NewGrpcDnsClient(const std::string& target,
                                            absl::Duration deadline = absl::Seconds(10));

}  // namespace mail::clients

#endif  // MAILSUITE_SERVICES_LIBS_CLIENTS_DNS_CLIENT_H_
