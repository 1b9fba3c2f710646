// DnsClient over gRPC; see dns_client.h.
#include "services/libs/clients/dns_client.h"
#include "services/libs/rpc/async_call.h"
#include "services/libs/rpc/channel.h"

namespace mail::clients {
namespace {

using rpc::Done;

class GrpcDnsClient final : public DnsClient {
 public:
  GrpcDnsClient(const std::string& target, absl::Duration deadline)
      : stub_(v1::DnsService::NewStub(rpc::MakeChannel(target))), deadline_(deadline) {}

  asio::awaitable<absl::StatusOr<v1::ResolveMxResponse>> ResolveMx(
      const v1::ResolveMxRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ResolveMxResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ResolveMx(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::ResolveAddressResponse>> ResolveAddress(
      const v1::ResolveAddressRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ResolveAddressResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ResolveAddress(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::ResolvePtrResponse>> ResolvePtr(
      const v1::ResolvePtrRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ResolvePtrResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ResolvePtr(ctx, &request, response, std::move(done));
        });
  }

 private:
  std::unique_ptr<v1::DnsService::Stub> stub_;
  absl::Duration deadline_;
};

}  // namespace

std::unique_ptr<DnsClient> NewGrpcDnsClient(const std::string& target, absl::Duration deadline) {
  return std::make_unique<GrpcDnsClient>(target, deadline);
}

}  // namespace mail::clients
