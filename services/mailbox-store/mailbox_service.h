// MailboxService (proto/mail/v1/mailbox_service.proto): recipient lookup,
// authentication, delivery and mailbox reads for the front-ends and the relay. gRPC
// calls it from its thread pool; every query names the account, so one account never
// reads another's mail. Deliver lives in deliver.cc.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_MAILBOX_SERVICE_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_MAILBOX_SERVICE_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "mail/v1/mailbox_service.grpc.pb.h"
#include "services/libs/pg/pg.h"
#include "services/mailbox-store/store_metrics.h"

namespace mail::mailbox_store {

struct MailboxServiceConfig {
  uint64_t max_message_size = 64 << 20;
  // Password hashes computed at once (each Argon2id hash takes 64 MiB for ~0.1 s).
  int max_concurrent_hashes = 4;
};

// PostgreSQL channel notified in the delivering/expunging transaction, payload
// "<account_id> <mailbox_id> <highest_modseq>", for IMAP IDLE in any replica.
inline constexpr char kChangeChannel[] = "mailstore_changes";
// FetchBody sends the body in chunks of this size.
inline constexpr int64_t kBodyChunkSize = 1 << 20;

class MailboxServiceImpl final : public v1::MailboxService::Service {
 public:
  // Computes a dummy hash (≈0.1 s) so unknown users cost as much as known ones.
  MailboxServiceImpl(pg::Pool& pool, StoreMetrics& metrics, MailboxServiceConfig config);

  grpc::Status LookupRecipient(grpc::ServerContext*, const v1::LookupRecipientRequest* request,
                               v1::LookupRecipientResponse* response) override;
  grpc::Status Authenticate(grpc::ServerContext*, const v1::AuthenticateRequest* request,
                            v1::AuthenticateResponse* response) override;
  grpc::Status ListSenderAddresses(grpc::ServerContext*,
                                   const v1::ListSenderAddressesRequest* request,
                                   v1::ListSenderAddressesResponse* response) override;
  grpc::Status Deliver(grpc::ServerContext*, grpc::ServerReader<v1::DeliverRequest>* reader,
                       v1::DeliverResponse* response) override;
  grpc::Status ListMailboxes(grpc::ServerContext*, const v1::ListMailboxesRequest* request,
                             v1::ListMailboxesResponse* response) override;
  grpc::Status ListMessages(grpc::ServerContext*, const v1::ListMessagesRequest* request,
                            v1::ListMessagesResponse* response) override;
  grpc::Status FetchBody(grpc::ServerContext*, const v1::FetchBodyRequest* request,
                         grpc::ServerWriter<v1::FetchBodyResponse>* writer) override;
  grpc::Status ExpungeMessages(grpc::ServerContext*, const v1::ExpungeMessagesRequest* request,
                               v1::ExpungeMessagesResponse* response) override;

 private:
  absl::Status DoLookupRecipient(const v1::LookupRecipientRequest& request,
                                 v1::LookupRecipientResponse* response);
  absl::Status DoAuthenticate(const v1::AuthenticateRequest& request,
                              v1::AuthenticateResponse* response);
  absl::Status DoListSenderAddresses(const v1::ListSenderAddressesRequest& request,
                                     v1::ListSenderAddressesResponse* response);
  absl::Status DoDeliver(grpc::ServerReader<v1::DeliverRequest>* reader,
                         v1::DeliverResponse* response);
  absl::Status DoListMailboxes(const v1::ListMailboxesRequest& request,
                               v1::ListMailboxesResponse* response);
  absl::Status DoListMessages(const v1::ListMessagesRequest& request,
                              v1::ListMessagesResponse* response);
  absl::Status DoFetchBody(const v1::FetchBodyRequest& request,
                           grpc::ServerWriter<v1::FetchBodyResponse>* writer);
  absl::Status DoExpungeMessages(const v1::ExpungeMessagesRequest& request,
                                 v1::ExpungeMessagesResponse* response);

  // Bounds the memory of concurrent Argon2id computations.
  void AcquireHashSlot();
  void ReleaseHashSlot();

  pg::Pool& pool_;
  StoreMetrics& metrics_;
  const MailboxServiceConfig config_;
  std::string dummy_hash_;
  absl::Mutex hash_mu_;
  int hashing_ ABSL_GUARDED_BY(hash_mu_) = 0;
};

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_MAILBOX_SERVICE_H_
