// gRPC RelayService (proto/mail/v1/relay_service.proto): Enqueue stores a message for
// remote recipients and answers only after COMMIT; ListQueue serves mailctl. Runs on the
// gRPC sync server's threads and blocks on PostgreSQL. Owns nothing.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_SERVICE_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_SERVICE_H_

#include <functional>

#include "mail/v1/relay_service.grpc.pb.h"
#include "services/outbound-relay/queue_store.h"
#include "services/outbound-relay/relay_metrics.h"

namespace mail::outbound_relay {

// Checks an Enqueue envelope: a UUID transaction id, 1..kMaxRecipients recipients with
// a domain part, sane lengths. INVALID_ARGUMENT with the reason otherwise.
absl::Status ValidateEnvelope(const v1::Envelope& envelope);
inline constexpr int kMaxRecipients = 10000;

class RelayServiceImpl final : public v1::RelayService::Service {
 public:
  // `on_enqueued` runs after each new message commits (wakes the delivery scheduler).
  RelayServiceImpl(QueueStore* store, const RelayMetrics* metrics, uint64_t max_message_size,
                   std::function<void()> on_enqueued)
      : store_(store),
        metrics_(metrics),
        max_message_size_(max_message_size),
        on_enqueued_(std::move(on_enqueued)) {}

  grpc::Status Enqueue(grpc::ServerContext* ctx, grpc::ServerReader<v1::EnqueueRequest>* reader,
                       v1::EnqueueResponse* response) override;
  grpc::Status ListQueue(grpc::ServerContext* ctx, const v1::ListQueueRequest* request,
                         v1::ListQueueResponse* response) override;

 private:
  QueueStore* const store_;
  const RelayMetrics* const metrics_;
  const uint64_t max_message_size_;
  const std::function<void()> on_enqueued_;
};

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_SERVICE_H_
