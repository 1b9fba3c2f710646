// Completion of gRPC callbacks into Asio coroutines; see async_call.h.
#include "services/libs/rpc/async_call.h"

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

namespace mail::rpc {

// Not a coroutine on purpose: with GCC 12, a coroutine that moves its by-value
// std::function parameter into a lambda capture destroys it twice (double free on
// every call). async_initiate with use_awaitable already returns the awaitable.
asio::awaitable<grpc::Status> AwaitCallback(std::function<void(Done)> start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
      [](auto handler, std::function<void(Done)> start) {
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
      asio::use_awaitable, std::move(start));
}

}  // namespace mail::rpc
