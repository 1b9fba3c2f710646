// RelayService handlers; see relay_service.h.
#include "services/outbound-relay/relay_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/uuid.h"
#include "services/libs/rpc/status_map.h"

namespace mail::outbound_relay {

absl::Status ValidateEnvelope(const v1::Envelope& envelope) {
  if (!base::IsUuid(envelope.transaction_id())) {
    return absl::InvalidArgumentError("transaction_id must be a UUID");
  }
  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets.
  if (envelope.sender().size() > 256) return absl::InvalidArgumentError("sender too long");
  if (envelope.recipients_size() == 0) return absl::InvalidArgumentError("no recipients");
  if (envelope.recipients_size() > kMaxRecipients) {
    return absl::InvalidArgumentError("too many recipients");
  }
  for (const auto& rcpt : envelope.recipients()) {
    const std::string& a = rcpt.address();
    size_t at = a.rfind('@');
    if (a.size() > 256 || at == std::string::npos || at == 0 || at + 1 == a.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipient is not local@domain: '", a.substr(0, 300), "'"));
    }
    for (char c : a) {
      if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>') {
        return absl::InvalidArgumentError("recipient contains a space, control or bracket");
      }
    }
  }
  return absl::OkStatus();
}

grpc::Status RelayServiceImpl::Enqueue(grpc::ServerContext* ctx,
                                       grpc::ServerReader<v1::EnqueueRequest>* reader,
                                       v1::EnqueueResponse* response) {
  v1::EnqueueRequest part;
  if (!reader->Read(&part) || !part.has_envelope()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the stream must start with the envelope");
  }
  v1::Envelope envelope = std::move(*part.mutable_envelope());
  if (absl::Status s = ValidateEnvelope(envelope); !s.ok()) return rpc::ToGrpcStatus(s);
  std::string body;
  if (envelope.size_hint() > 0 && envelope.size_hint() <= max_message_size_) {
    body.reserve(envelope.size_hint());
  }
  while (reader->Read(&part)) {
    if (!part.has_chunk()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a second envelope in one stream");
    }
    if (body.size() + part.chunk().data().size() > max_message_size_) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("message larger than ", max_message_size_, " octets"));
    }
    body += part.chunk().data();
  }
  if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled");

  absl::StatusOr<EnqueueResult> result = store_->Enqueue(envelope, body);
  if (!result.ok()) {
    base::LogError("enqueue failed", {{"queue_id", envelope.transaction_id()},
                                      {"error", result.status().ToString()}});
    return rpc::ToGrpcStatus(result.status());
  }
  response->set_queue_id(result->queue_id);
  response->set_duplicate(result->duplicate);
  if (result->duplicate) {
    if (metrics_ && metrics_->duplicates) metrics_->duplicates->Increment();
    base::LogInfo("enqueue repeated; already queued", {{"queue_id", result->queue_id}});
  } else {
    if (metrics_ && metrics_->enqueued) metrics_->enqueued->Increment();
    base::LogInfo("queued", {{"queue_id", result->queue_id},
                             {"sender", envelope.sender()},
                             {"recipients", std::to_string(envelope.recipients_size())},
                             {"size", std::to_string(body.size())}});
    if (on_enqueued_) on_enqueued_();
  }
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::ListQueue(grpc::ServerContext* ctx,
                                         const v1::ListQueueRequest* request,
                                         v1::ListQueueResponse* response) {
  auto entries = store_->List(request->state(), static_cast<int>(request->limit()));
  if (!entries.ok()) return rpc::ToGrpcStatus(entries.status());
  for (auto& e : *entries) *response->add_entries() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::ShowMessage(grpc::ServerContext*,
                                           const v1::ShowMessageRequest* request,
                                           v1::ShowMessageResponse* response) {
  auto shown = store_->Show(absl::AsciiStrToLower(request->queue_id()));
  if (!shown.ok()) return rpc::ToGrpcStatus(shown.status());
  *response = std::move(*shown);
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::Control(const std::string& op,
                                       const v1::QueueControlRequest& request,
                                       v1::QueueControlResponse* response) {
  auto affected =
      store_->Control(op, absl::AsciiStrToLower(request.queue_id()), request.recipient());
  if (!affected.ok()) return rpc::ToGrpcStatus(affected.status());
  response->set_affected(static_cast<uint32_t>(*affected));
  base::LogInfo("queue control", {{"op", op},
                                  {"queue_id", request.queue_id()},
                                  {"recipient", request.recipient()},
                                  {"affected", std::to_string(*affected)}});
  if ((op == "retry" || op == "release") && *affected > 0 && on_enqueued_) on_enqueued_();
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::Retry(grpc::ServerContext*, const v1::QueueControlRequest* request,
                                     v1::QueueControlResponse* response) {
  return Control("retry", *request, response);
}
grpc::Status RelayServiceImpl::Delete(grpc::ServerContext*, const v1::QueueControlRequest* request,
                                      v1::QueueControlResponse* response) {
  return Control("delete", *request, response);
}
grpc::Status RelayServiceImpl::Hold(grpc::ServerContext*, const v1::QueueControlRequest* request,
                                    v1::QueueControlResponse* response) {
  return Control("hold", *request, response);
}
grpc::Status RelayServiceImpl::Release(grpc::ServerContext*, const v1::QueueControlRequest* request,
                                       v1::QueueControlResponse* response) {
  return Control("release", *request, response);
}

grpc::Status RelayServiceImpl::CheckSuppression(grpc::ServerContext*,
                                                const v1::CheckSuppressionRequest* request,
                                                v1::CheckSuppressionResponse* response) {
  auto entry = store_->GetSuppression(request->address());
  if (!entry.ok()) return rpc::ToGrpcStatus(entry.status());
  response->set_suppressed(entry->has_value());
  if (entry->has_value()) *response->mutable_entry() = std::move(**entry);
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::ListSuppressions(grpc::ServerContext*,
                                                const v1::ListSuppressionsRequest* request,
                                                v1::ListSuppressionsResponse* response) {
  auto entries = store_->ListSuppressions(static_cast<int>(request->limit()));
  if (!entries.ok()) return rpc::ToGrpcStatus(entries.status());
  for (auto& e : *entries) *response->add_entries() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::AddSuppression(grpc::ServerContext*,
                                              const v1::AddSuppressionRequest* request,
                                              v1::AddSuppressionResponse* response) {
  if (request->ttl_seconds() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ttl must not be negative");
  }
  const absl::Duration ttl =
      request->ttl_seconds() > 0 ? absl::Seconds(request->ttl_seconds()) : suppression_ttl_;
  auto entry = store_->AddSuppression(request->address(), request->reason().substr(0, 500), ttl);
  if (!entry.ok()) return rpc::ToGrpcStatus(entry.status());
  *response->mutable_entry() = std::move(*entry);
  base::LogInfo("suppression added", {{"address", request->address()}});
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::RemoveSuppression(grpc::ServerContext*,
                                                 const v1::RemoveSuppressionRequest* request,
                                                 v1::RemoveSuppressionResponse* response) {
  auto removed = store_->RemoveSuppression(request->address());
  if (!removed.ok()) return rpc::ToGrpcStatus(removed.status());
  response->set_removed(*removed);
  base::LogInfo("suppression removed",
                {{"address", request->address()}, {"removed", *removed ? "true" : "false"}});
  return grpc::Status::OK;
}

grpc::Status RelayServiceImpl::BounceReport(grpc::ServerContext*,
                                            const v1::BounceReportRequest* request,
                                            v1::BounceReportResponse* response) {
  auto report = store_->Report(absl::FromUnixSeconds(request->since_unix()),
                               static_cast<int>(request->top_domains()));
  if (!report.ok()) return rpc::ToGrpcStatus(report.status());
  *response = std::move(*report);
  return grpc::Status::OK;
}

}  // namespace mail::outbound_relay
