// gRPC RelayService (proto/mail/v1/relay_service.proto): Enqueue stores a message for
// remote (and, with EnvelopeRecipient.local, local) recipients and answers only after
// COMMIT; the queue-control, suppression and report RPCs serve mailctl. Runs on the
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
  // `on_enqueued` also runs after Retry and Release. `suppression_ttl` is the default of
  // AddSuppression.
  RelayServiceImpl(QueueStore* store, const RelayMetrics* metrics, uint64_t max_message_size,
                   std::function<void()> on_enqueued,
                   absl::Duration suppression_ttl = absl::Hours(24 * 30))
      : store_(store),
        metrics_(metrics),
        max_message_size_(max_message_size),
        on_enqueued_(std::move(on_enqueued)),
        suppression_ttl_(suppression_ttl) {}

  grpc::Status Enqueue(grpc::ServerContext* ctx, grpc::ServerReader<v1::EnqueueRequest>* reader,
                       v1::EnqueueResponse* response) override;
  grpc::Status ListQueue(grpc::ServerContext* ctx, const v1::ListQueueRequest* request,
                         v1::ListQueueResponse* response) override;
  grpc::Status ShowMessage(grpc::ServerContext* ctx, const v1::ShowMessageRequest* request,
                           v1::ShowMessageResponse* response) override;
  grpc::Status Retry(grpc::ServerContext* ctx, const v1::QueueControlRequest* request,
                     v1::QueueControlResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const v1::QueueControlRequest* request,
                      v1::QueueControlResponse* response) override;
  grpc::Status Hold(grpc::ServerContext* ctx, const v1::QueueControlRequest* request,
                    v1::QueueControlResponse* response) override;
  grpc::Status Release(grpc::ServerContext* ctx, const v1::QueueControlRequest* request,
                       v1::QueueControlResponse* response) override;
  grpc::Status CheckSuppression(grpc::ServerContext* ctx,
                                const v1::CheckSuppressionRequest* request,
                                v1::CheckSuppressionResponse* response) override;
  grpc::Status ListSuppressions(grpc::ServerContext* ctx,
                                const v1::ListSuppressionsRequest* request,
                                v1::ListSuppressionsResponse* response) override;
  grpc::Status AddSuppression(grpc::ServerContext* ctx, const v1::AddSuppressionRequest* request,
                              v1::AddSuppressionResponse* response) override;
  grpc::Status RemoveSuppression(grpc::ServerContext* ctx,
                                 const v1::RemoveSuppressionRequest* request,
                                 v1::RemoveSuppressionResponse* response) override;
  grpc::Status BounceReport(grpc::ServerContext* ctx, const v1::BounceReportRequest* request,
                            v1::BounceReportResponse* response) override;

 private:
  grpc::Status Control(const std::string& op, const v1::QueueControlRequest& request,
                       v1::QueueControlResponse* response);

  QueueStore* const store_;
  const RelayMetrics* const metrics_;
  const uint64_t max_message_size_;
  const std::function<void()> on_enqueued_;
  const absl::Duration suppression_ttl_;
};

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_SERVICE_H_
