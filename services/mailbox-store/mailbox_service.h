// MailboxService (proto/mail/v1/mailbox_service.proto): recipient lookup,
// authentication, delivery and mailbox reads for the front-ends and the relay. gRPC
// calls it from its thread pool; every query names the account, so one account never
// reads another's mail. Deliver lives in deliver.cc.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_MAILBOX_SERVICE_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_MAILBOX_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "mail/v1/mailbox_service.grpc.pb.h"
#include "services/libs/pg/pg.h"
#include "services/mailbox-store/group_commit.h"
#include "services/mailbox-store/store_metrics.h"

namespace mail::mailbox_store {

struct MailboxServiceConfig {
  uint64_t max_message_size = 64 << 20;
  // Password hashes computed at once (each Argon2id hash takes 64 MiB for ~0.1 s).
  int max_concurrent_hashes = 4;
  // Group commit of Deliver calls (group_commit.h): committer threads, and most
  // calls in one transaction.
  int deliver_committers = 2;
  int deliver_batch_size = 32;
};

// PostgreSQL channel notified in the delivering/expunging transaction, payload
// "<account_id> <mailbox_id> <highest_modseq>", for IMAP IDLE in any replica.
inline constexpr char kChangeChannel[] = "mailstore_changes";
// FetchBody sends the body in chunks of this size.
inline constexpr int64_t kBodyChunkSize = 1 << 20;

class MaildropLocks;  // maildrop_lock.cc
std::shared_ptr<MaildropLocks> NewMaildropLocks(pg::Pool& pool);

// HoldMaildropLock is a callback-API method (a stream held open for a whole POP3
// session must not occupy a thread); the others use the synchronous API.
class ChangeWatcher;  // watch.cc
std::shared_ptr<ChangeWatcher> NewChangeWatcher(pg::Pool& pool);

class MailboxServiceImpl final
    : public v1::MailboxService::WithCallbackMethod_HoldMaildropLock<
          v1::MailboxService::WithCallbackMethod_WatchMailbox<v1::MailboxService::Service>> {
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
  grpc::Status FetchBodies(grpc::ServerContext*, const v1::FetchBodiesRequest* request,
                           v1::FetchBodiesResponse* response) override;
  grpc::Status SearchMessages(grpc::ServerContext*, const v1::SearchMessagesRequest* request,
                              v1::SearchMessagesResponse* response) override;
  grpc::Status ExpungeMessages(grpc::ServerContext*, const v1::ExpungeMessagesRequest* request,
                               v1::ExpungeMessagesResponse* response) override;
  // IMAP (issue 5): mailboxes.cc, flags.cc, append.cc, copy_move.cc.
  grpc::Status CreateMailbox(grpc::ServerContext*, const v1::CreateMailboxRequest* request,
                             v1::CreateMailboxResponse* response) override;
  grpc::Status DeleteMailbox(grpc::ServerContext*, const v1::DeleteMailboxRequest* request,
                             v1::DeleteMailboxResponse* response) override;
  grpc::Status RenameMailbox(grpc::ServerContext*, const v1::RenameMailboxRequest* request,
                             v1::RenameMailboxResponse* response) override;
  grpc::Status SetSubscription(grpc::ServerContext*, const v1::SetSubscriptionRequest* request,
                               v1::SetSubscriptionResponse* response) override;
  grpc::Status GetQuota(grpc::ServerContext*, const v1::GetQuotaRequest* request,
                        v1::GetQuotaResponse* response) override;
  grpc::Status StoreFlags(grpc::ServerContext*, const v1::StoreFlagsRequest* request,
                          v1::StoreFlagsResponse* response) override;
  grpc::Status AppendMessage(grpc::ServerContext*,
                             grpc::ServerReader<v1::AppendMessageRequest>* reader,
                             v1::AppendMessageResponse* response) override;
  grpc::Status CopyMessages(grpc::ServerContext*, const v1::CopyMessagesRequest* request,
                            v1::CopyMessagesResponse* response) override;
  // watch.cc (callback API: an IDLE stream must not hold a thread).
  grpc::ServerWriteReactor<v1::WatchMailboxResponse>* WatchMailbox(
      grpc::CallbackServerContext* context, const v1::WatchMailboxRequest* request) override;
  // maildrop_lock.cc.
  grpc::ServerWriteReactor<v1::HoldMaildropLockResponse>* HoldMaildropLock(
      grpc::CallbackServerContext* context, const v1::HoldMaildropLockRequest* request) override;

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
  absl::Status DoFetchBodies(const v1::FetchBodiesRequest& request,
                             v1::FetchBodiesResponse* response);
  absl::Status DoSearchMessages(const v1::SearchMessagesRequest& request,
                                v1::SearchMessagesResponse* response);  // search_messages.cc
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
  std::shared_ptr<MaildropLocks> maildrop_locks_ = NewMaildropLocks(pool_);
  std::shared_ptr<ChangeWatcher> change_watcher_ = NewChangeWatcher(pool_);
  GroupCommitter committer_{pool_, config_.deliver_committers, config_.deliver_batch_size,
                            [this](int n) { metrics_.ObserveCommitBatch(n); }};
};

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_MAILBOX_SERVICE_H_
