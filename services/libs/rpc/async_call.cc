// Completion of gRPC callbacks into Asio coroutines; see async_call.h.
#include "services/libs/rpc/async_call.h"

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

namespace mail::rpc {

asio::awaitable<grpc::Status> AwaitCallback(std::function<void(Done)> start) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
      [start = std::move(start)](auto handler) {
        // gRPC wants a copyable std::function; the Asio handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto executor = asio::get_associated_executor(*shared);
        start([shared, executor](grpc::Status status) {
          // Resume the coroutine on its own executor, never on a gRPC thread.
          asio::post(executor, [shared, status = std::move(status)]() mutable {
            (*shared)(std::move(status));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace mail::rpc
