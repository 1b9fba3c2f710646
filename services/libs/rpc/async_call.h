// The bridge from the gRPC callback client API to Asio awaitables (ARCHITECTURE.md
// §4): a coroutine awaits a unary call, a client stream or a server stream, and is
// resumed on its own executor when gRPC completes. No thread blocks on the network.
#ifndef MAILSUITE_SERVICES_LIBS_RPC_ASYNC_CALL_H_
#define MAILSUITE_SERVICES_LIBS_RPC_ASYNC_CALL_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/libs/rpc/status_map.h"

namespace mail::rpc {

using Done = std::function<void(grpc::Status)>;

// Awaits `start(done)`, where `start` begins a gRPC callback call and `done` is what
// gRPC must call on completion (from any thread).
asio::awaitable<grpc::Status> AwaitCallback(std::function<void(Done)> start);

// Awaits a unary call with a deadline and turns its status into absl form:
//   co_await CallUnary<FooResponse>(deadline, [&](auto* ctx, auto* resp, Done done) {
//     stub->async()->Foo(ctx, &request, resp, std::move(done));
//   });
template <typename Response, typename Start>
asio::awaitable<absl::StatusOr<Response>> CallUnary(absl::Duration deadline, Start start) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  Response response;
  grpc::Status status =
      co_await AwaitCallback([&](Done done) { start(&ctx, &response, std::move(done)); });
  if (!status.ok()) co_return FromGrpcStatus(status);
  co_return response;
}

// Writes `requests` in order on a client stream, then half-closes; the reactor
// deletes itself when gRPC is done with it.
template <typename Request>
class WriteAllReactor : public grpc::ClientWriteReactor<Request> {
 public:
  WriteAllReactor(std::vector<Request> requests, Done done)
      : requests_(std::move(requests)), done_(std::move(done)) {}
  void Begin() {
    this->AddHold();  // until WritesDone is issued or a write fails
    WriteNext();
    this->StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      this->RemoveHold();  // the stream broke; OnDone brings the status
      return;
    }
    WriteNext();
  }
  void OnDone(const grpc::Status& status) override {
    done_(status);
    delete this;
  }

 private:
  void WriteNext() {
    if (next_ < requests_.size()) {
      this->StartWrite(&requests_[next_++]);
    } else {
      this->StartWritesDone();
      this->RemoveHold();
    }
  }
  std::vector<Request> requests_;
  size_t next_ = 0;
  Done done_;
};

// Awaits a client-streaming call that sends `requests`:
//   co_await CallClientStream<FooResponse>(deadline, std::move(reqs),
//       [&](auto* ctx, auto* resp, auto* reactor) { stub->async()->Foo(ctx, resp, reactor); });
template <typename Response, typename Request, typename Start>
asio::awaitable<absl::StatusOr<Response>> CallClientStream(absl::Duration deadline,
                                                           std::vector<Request> requests,
                                                           Start start) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  Response response;
  grpc::Status status = co_await AwaitCallback([&](Done done) {
    auto* reactor = new WriteAllReactor<Request>(std::move(requests), std::move(done));
    start(&ctx, &response, reactor);
    reactor->Begin();
  });
  if (!status.ok()) co_return FromGrpcStatus(status);
  co_return response;
}

// Reads every response of a server stream into `out`.
template <typename Response>
class ReadAllReactor : public grpc::ClientReadReactor<Response> {
 public:
  ReadAllReactor(std::vector<Response>* out, Done done) : out_(out), done_(std::move(done)) {}
  void Begin() {
    this->StartRead(&current_);
    this->StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // end of stream or error; OnDone follows
    out_->push_back(std::move(current_));
    current_ = Response();
    this->StartRead(&current_);
  }
  void OnDone(const grpc::Status& status) override {
    done_(status);
    delete this;
  }

 private:
  std::vector<Response>* out_;
  Response current_;
  Done done_;
};

// Awaits a server-streaming call, collecting every response:
//   co_await CallServerStream<FooResponse>(deadline,
//       [&](auto* ctx, auto* reactor) { stub->async()->Foo(ctx, &request, reactor); });
template <typename Response, typename Start>
asio::awaitable<absl::StatusOr<std::vector<Response>>> CallServerStream(absl::Duration deadline,
                                                                        Start start) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  std::vector<Response> out;
  grpc::Status status = co_await AwaitCallback([&](Done done) {
    auto* reactor = new ReadAllReactor<Response>(&out, std::move(done));
    start(&ctx, reactor);
    reactor->Begin();
  });
  if (!status.ok()) co_return FromGrpcStatus(status);
  co_return out;
}

}  // namespace mail::rpc

#endif  // MAILSUITE_SERVICES_LIBS_RPC_ASYNC_CALL_H_
