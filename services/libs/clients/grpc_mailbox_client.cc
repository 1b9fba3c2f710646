// MailboxClient over gRPC; see mailbox_client.h.
#include "services/libs/clients/body_chunks.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/rpc/async_call.h"
#include "services/libs/rpc/channel.h"

namespace mail::clients {
namespace {

using rpc::Done;

class GrpcMailboxClient final : public MailboxClient {
 public:
  GrpcMailboxClient(const std::string& target, absl::Duration deadline)
      : stub_(v1::MailboxService::NewStub(rpc::MakeChannel(target))), deadline_(deadline) {}

  asio::awaitable<absl::StatusOr<v1::LookupRecipientResponse>> LookupRecipient(
      const v1::LookupRecipientRequest& request) override {
    co_return co_await rpc::CallUnary<v1::LookupRecipientResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->LookupRecipient(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::AuthenticateResponse>> Authenticate(
      const v1::AuthenticateRequest& request) override {
    co_return co_await rpc::CallUnary<v1::AuthenticateResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->Authenticate(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::ListSenderAddressesResponse>> ListSenderAddresses(
      const v1::ListSenderAddressesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ListSenderAddressesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ListSenderAddresses(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::DeliverResponse>> Deliver(const v1::Envelope& envelope,
                                                               std::string body) override {
    co_return co_await rpc::CallClientStream<v1::DeliverResponse>(
        deadline_, EnvelopeThenChunks<v1::DeliverRequest>(envelope, body),
        [&](auto* ctx, auto* response, auto* reactor) {
          stub_->async()->Deliver(ctx, response, reactor);
        });
  }
  asio::awaitable<absl::StatusOr<v1::ListMailboxesResponse>> ListMailboxes(
      const v1::ListMailboxesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ListMailboxesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ListMailboxes(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> ListMessages(
      const v1::ListMessagesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ListMessagesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ListMessages(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<std::string>> FetchBody(
      const v1::FetchBodyRequest& request) override {
    auto parts = co_await rpc::CallServerStream<v1::FetchBodyResponse>(
        deadline_,
        [&](auto* ctx, auto* reactor) { stub_->async()->FetchBody(ctx, &request, reactor); });
    if (!parts.ok()) co_return parts.status();
    std::string body;
    if (!parts->empty()) body.reserve(parts->front().size());
    for (const auto& p : *parts) body += p.data();
    co_return body;
  }
  asio::awaitable<absl::StatusOr<v1::ExpungeMessagesResponse>> ExpungeMessages(
      const v1::ExpungeMessagesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ExpungeMessagesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ExpungeMessages(ctx, &request, response, std::move(done));
        });
  }

 private:
  std::unique_ptr<v1::MailboxService::Stub> stub_;
  absl::Duration deadline_;
};

}  // namespace

std::unique_ptr<MailboxClient> NewGrpcMailboxClient(const std::string& target,
                                                    absl::Duration deadline) {
  return std::make_unique<GrpcMailboxClient>(target, deadline);
}

}  // namespace mail::clients
