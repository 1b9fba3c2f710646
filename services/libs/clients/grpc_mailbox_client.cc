// MailboxClient over gRPC; see mailbox_client.h.
#include <atomic>
#include <chrono>
#include <mutex>

#include "services/libs/clients/body_chunks.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/rpc/async_call.h"
#include "services/libs/rpc/channel.h"

namespace mail::clients {
namespace {

using rpc::Done;

// A POP3 session that outlives this loses its lock (and is closed); every call
// carries a deadline (ARCHITECTURE.md §3), this one longer than any sane session.
constexpr absl::Duration kMaxLockHold = absl::Hours(24);

// The HoldMaildropLock stream: reports its first response (or its failure) through
// `first`, then stays open until cancelled. Owned jointly by gRPC (until OnDone) and
// the MaildropLock handle; the last one to let go deletes it.
class LockStreamReactor final : public grpc::ClientReadReactor<v1::HoldMaildropLockResponse>,
                                public MaildropLock {
 public:
  explicit LockStreamReactor(Done first) : first_(std::move(first)) {
    ctx_.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(kMaxLockHold));
  }
  grpc::ClientContext* context() { return &ctx_; }
  // Must outlive the call's start; so it lives here.
  v1::HoldMaildropLockRequest* request() { return &request_; }
  void Begin() {
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone brings the status
    if (!reported_.exchange(true)) {
      if (response_.locked()) {
        first_(grpc::Status::OK);
      } else {
        first_(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "maildrop in use"));
      }
    }
    StartRead(&response_);  // completes (not ok) when the stream ends
  }
  void OnDone(const grpc::Status& status) override {
    ended_.store(true);
    if (!reported_.exchange(true)) {
      first_(status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "lock stream ended")
                         : status);
    }
    Unref();
  }
  // MaildropLock: released by the handle's owner.
  bool lost() const override { return ended_.load() && !released_.load(); }
  void Release() {
    released_.store(true);
    ctx_.TryCancel();  // safe from any thread, also after the call ended
    Unref();
  }

 private:
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }
  grpc::ClientContext ctx_;
  v1::HoldMaildropLockRequest request_;
  v1::HoldMaildropLockResponse response_;
  Done first_;
  std::atomic<bool> reported_{false};
  std::atomic<bool> ended_{false};
  std::atomic<bool> released_{false};
  std::atomic<int> refs_{2};  // gRPC's (until OnDone) and the handle's
};

// What HoldMaildropLock returns: releases the reactor's lock on destruction.
class GrpcMaildropLock final : public MaildropLock {
 public:
  explicit GrpcMaildropLock(LockStreamReactor* reactor) : reactor_(reactor) {}
  ~GrpcMaildropLock() override { reactor_->Release(); }
  bool lost() const override { return reactor_->lost(); }

 private:
  LockStreamReactor* reactor_;
};

// A WatchMailbox stream. The reactor deletes itself when the call ends; the shared
// state lets the handle cancel it until then and outlives both.
class WatchState {
 public:
  std::mutex mu;
  grpc::ClientContext* context = nullptr;  // null once the call ended
  std::function<void()> on_change;
  std::atomic<bool> ended{false};
};

class WatchReactor final : public grpc::ClientReadReactor<v1::WatchMailboxResponse> {
 public:
  WatchReactor(std::shared_ptr<WatchState> state) : state_(std::move(state)) {}
  grpc::ClientContext* context() { return &context_; }
  void Begin() {
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    {
      std::lock_guard<std::mutex> l(state_->mu);
      if (state_->on_change) state_->on_change();
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status&) override {
    {
      std::lock_guard<std::mutex> l(state_->mu);
      state_->context = nullptr;
      state_->ended = true;
      if (state_->on_change) state_->on_change();  // let the watcher notice the end
    }
    delete this;
  }

 private:
  std::shared_ptr<WatchState> state_;
  grpc::ClientContext context_;
  v1::WatchMailboxResponse response_;
};

class GrpcMailboxWatch final : public MailboxWatch {
 public:
  explicit GrpcMailboxWatch(std::shared_ptr<WatchState> state) : state_(std::move(state)) {}
  ~GrpcMailboxWatch() override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->on_change = nullptr;
    if (state_->context != nullptr) state_->context->TryCancel();
  }
  bool ended() const override { return state_->ended.load(); }

 private:
  std::shared_ptr<WatchState> state_;
};

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
  asio::awaitable<absl::StatusOr<v1::FetchBodiesResponse>> FetchBodies(
      const v1::FetchBodiesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::FetchBodiesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->FetchBodies(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::SearchMessagesResponse>> SearchMessages(
      const v1::SearchMessagesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::SearchMessagesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->SearchMessages(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::ExpungeMessagesResponse>> ExpungeMessages(
      const v1::ExpungeMessagesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::ExpungeMessagesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->ExpungeMessages(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::CreateMailboxResponse>> CreateMailbox(
      const v1::CreateMailboxRequest& request) override {
    co_return co_await rpc::CallUnary<v1::CreateMailboxResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->CreateMailbox(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::DeleteMailboxResponse>> DeleteMailbox(
      const v1::DeleteMailboxRequest& request) override {
    co_return co_await rpc::CallUnary<v1::DeleteMailboxResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->DeleteMailbox(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::RenameMailboxResponse>> RenameMailbox(
      const v1::RenameMailboxRequest& request) override {
    co_return co_await rpc::CallUnary<v1::RenameMailboxResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->RenameMailbox(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::SetSubscriptionResponse>> SetSubscription(
      const v1::SetSubscriptionRequest& request) override {
    co_return co_await rpc::CallUnary<v1::SetSubscriptionResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->SetSubscription(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::StoreFlagsResponse>> StoreFlags(
      const v1::StoreFlagsRequest& request) override {
    co_return co_await rpc::CallUnary<v1::StoreFlagsResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->StoreFlags(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::CopyMessagesResponse>> CopyMessages(
      const v1::CopyMessagesRequest& request) override {
    co_return co_await rpc::CallUnary<v1::CopyMessagesResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->CopyMessages(ctx, &request, response, std::move(done));
        });
  }
  asio::awaitable<absl::StatusOr<v1::GetQuotaResponse>> GetQuota(
      const v1::GetQuotaRequest& request) override {
    co_return co_await rpc::CallUnary<v1::GetQuotaResponse>(
        deadline_, [&](auto* ctx, auto* response, Done done) {
          stub_->async()->GetQuota(ctx, &request, response, std::move(done));
        });
  }
  std::unique_ptr<MailboxWatch> WatchMailbox(const v1::WatchMailboxRequest& request,
                                             std::function<void()> on_change) override {
    auto state = std::make_shared<WatchState>();
    state->on_change = std::move(on_change);
    auto* reactor = new WatchReactor(state);
    // Long-lived, but still bounded (ARCHITECTURE.md §3): IDLE is re-issued within 30 min.
    reactor->context()->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
    {
      std::lock_guard<std::mutex> l(state->mu);
      state->context = reactor->context();
    }
    stub_->async()->WatchMailbox(reactor->context(), &request, reactor);
    reactor->Begin();
    return std::make_unique<GrpcMailboxWatch>(state);
  }
  asio::awaitable<absl::StatusOr<v1::AppendMessageResponse>> AppendMessage(
      const v1::AppendMetadata& metadata, std::string body) override {
    std::vector<v1::AppendMessageRequest> requests;
    requests.reserve(2 + body.size() / kBodyChunkSize);
    *requests.emplace_back().mutable_metadata() = metadata;
    requests.front().mutable_metadata()->set_size_hint(body.size());
    for (size_t off = 0; off < body.size(); off += kBodyChunkSize) {
      requests.emplace_back().mutable_chunk()->set_data(
          body.substr(off, std::min(kBodyChunkSize, body.size() - off)));
    }
    co_return co_await rpc::CallClientStream<v1::AppendMessageResponse>(
        deadline_, std::move(requests), [&](auto* ctx, auto* response, auto* reactor) {
          stub_->async()->AppendMessage(ctx, response, reactor);
        });
  }
  asio::awaitable<absl::StatusOr<std::unique_ptr<MaildropLock>>> HoldMaildropLock(
      const std::string& account) override {
    LockStreamReactor* reactor = nullptr;
    grpc::Status status = co_await rpc::AwaitCallback([&](Done done) {
      reactor = new LockStreamReactor(std::move(done));
      reactor->request()->set_account(account);
      stub_->async()->HoldMaildropLock(reactor->context(), reactor->request(), reactor);
      reactor->Begin();
    });
    // From here the handle owns the reactor's second reference, whatever happened.
    auto lock = std::make_unique<GrpcMaildropLock>(reactor);
    if (!status.ok()) co_return rpc::FromGrpcStatus(status);
    co_return std::unique_ptr<MaildropLock>(std::move(lock));
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
