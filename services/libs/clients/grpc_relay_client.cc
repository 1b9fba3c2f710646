// RelayClient over gRPC; see relay_client.h.
#include "services/libs/clients/body_chunks.h"
#include "services/libs/clients/relay_client.h"
#include "services/libs/rpc/async_call.h"
#include "services/libs/rpc/channel.h"

namespace mail::clients {
namespace {

class GrpcRelayClient final : public RelayClient {
 public:
  GrpcRelayClient(const std::string& target, absl::Duration deadline)
      : stub_(v1::RelayService::NewStub(rpc::MakeChannel(target))), deadline_(deadline) {}

  asio::awaitable<absl::StatusOr<v1::EnqueueResponse>> Enqueue(const v1::Envelope& envelope,
                                                               std::string body) override {
    co_return co_await rpc::CallClientStream<v1::EnqueueResponse>(
        deadline_, EnvelopeThenChunks<v1::EnqueueRequest>(envelope, body),
        [&](auto* ctx, auto* response, auto* reactor) {
          stub_->async()->Enqueue(ctx, response, reactor);
        });
  }

 private:
  std::unique_ptr<v1::RelayService::Stub> stub_;
  absl::Duration deadline_;
};

}  // namespace

std::unique_ptr<RelayClient> NewGrpcRelayClient(const std::string& target,
                                                absl::Duration deadline) {
  return std::make_unique<GrpcRelayClient>(target, deadline);
}

}  // namespace mail::clients
