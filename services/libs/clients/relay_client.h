// RelayClient: what smtp-ingress asks of outbound-relay, as awaitables.
#ifndef MAILSUITE_SERVICES_LIBS_CLIENTS_RELAY_CLIENT_H_
#define MAILSUITE_SERVICES_LIBS_CLIENTS_RELAY_CLIENT_H_

#include <asio/awaitable.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mail/v1/relay_service.grpc.pb.h"

namespace mail::clients {

class RelayClient {
 public:
  virtual ~RelayClient() = default;
  // Streams `body` in chunks after the envelope; returns after the commit.
  virtual asio::awaitable<absl::StatusOr<v1::EnqueueResponse>> Enqueue(const v1::Envelope& envelope,
                                                                       std::string body) = 0;
};

std::unique_ptr<RelayClient> NewGrpcRelayClient(const std::string& target,
                                                absl::Duration deadline = absl::Seconds(30));

}  // namespace mail::clients

#endif  // MAILSUITE_SERVICES_LIBS_CLIENTS_RELAY_CLIENT_H_
