// MailboxClient: what front-ends and the relay ask of mailbox-store, as awaitables.
// GrpcMailboxClient is the real one; tests/fakes/fake_mailbox_client.h the fake.
// Errors are gRPC status codes turned into absl codes (rpc/status_map.h).
#ifndef MAILSUITE_SERVICES_LIBS_CLIENTS_MAILBOX_CLIENT_H_
#define MAILSUITE_SERVICES_LIBS_CLIENTS_MAILBOX_CLIENT_H_

#include <asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mail/v1/mailbox_service.grpc.pb.h"

namespace mail::clients {

// A POP3 maildrop lock held through HoldMaildropLock; destroying it releases the lock.
// lost() may be read from any thread.
class MaildropLock {
 public:
  virtual ~MaildropLock() = default;
  // True once the lock ended without being released (mailbox-store went away, lost
  // its PostgreSQL connection, or the hold's deadline passed).
  virtual bool lost() const = 0;
};

// A WatchMailbox stream (IMAP IDLE); destroying it cancels the stream. ended() may be
// read from any thread.
class MailboxWatch {
 public:
  virtual ~MailboxWatch() = default;
  // True once the stream ended (mailbox-store went away, the mailbox was deleted).
  virtual bool ended() const = 0;
};

class MailboxClient {
 public:
  virtual ~MailboxClient() = default;
  virtual asio::awaitable<absl::StatusOr<v1::LookupRecipientResponse>> LookupRecipient(
      const v1::LookupRecipientRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::AuthenticateResponse>> Authenticate(
      const v1::AuthenticateRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::ListSenderAddressesResponse>> ListSenderAddresses(
      const v1::ListSenderAddressesRequest& request) = 0;
  // Streams `body` in chunks after the envelope; returns after the commit.
  virtual asio::awaitable<absl::StatusOr<v1::DeliverResponse>> Deliver(const v1::Envelope& envelope,
                                                                       std::string body) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::ListMailboxesResponse>> ListMailboxes(
      const v1::ListMailboxesRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> ListMessages(
      const v1::ListMessagesRequest& request) = 0;
  // The whole body, reassembled from the stream.
  virtual asio::awaitable<absl::StatusOr<std::string>> FetchBody(
      const v1::FetchBodyRequest& request) = 0;
  // Several small bodies in one call (see mailbox_service.proto).
  virtual asio::awaitable<absl::StatusOr<v1::FetchBodiesResponse>> FetchBodies(
      const v1::FetchBodiesRequest& request) = 0;
  // IMAP SEARCH header keys evaluated by the store (see mailbox_service.proto).
  virtual asio::awaitable<absl::StatusOr<v1::SearchMessagesResponse>> SearchMessages(
      const v1::SearchMessagesRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::ExpungeMessagesResponse>> ExpungeMessages(
      const v1::ExpungeMessagesRequest& request) = 0;
  // IMAP (issue 5).
  virtual asio::awaitable<absl::StatusOr<v1::CreateMailboxResponse>> CreateMailbox(
      const v1::CreateMailboxRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::DeleteMailboxResponse>> DeleteMailbox(
      const v1::DeleteMailboxRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::RenameMailboxResponse>> RenameMailbox(
      const v1::RenameMailboxRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::SetSubscriptionResponse>> SetSubscription(
      const v1::SetSubscriptionRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::StoreFlagsResponse>> StoreFlags(
      const v1::StoreFlagsRequest& request) = 0;
  // Streams `body` in chunks after the metadata.
  virtual asio::awaitable<absl::StatusOr<v1::AppendMessageResponse>> AppendMessage(
      const v1::AppendMetadata& metadata, std::string body) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::CopyMessagesResponse>> CopyMessages(
      const v1::CopyMessagesRequest& request) = 0;
  virtual asio::awaitable<absl::StatusOr<v1::GetQuotaResponse>> GetQuota(
      const v1::GetQuotaRequest& request) = 0;
  // Starts watching a mailbox: `on_change` runs on a gRPC thread for the first response
  // (the stream is live) and for every change after it; it must be quick (post work
  // elsewhere). Null when this client cannot watch (the caller then polls).
  virtual std::unique_ptr<MailboxWatch> WatchMailbox(const v1::WatchMailboxRequest& request,
                                                     std::function<void()> on_change) {
    (void)request;
    (void)on_change;
    return nullptr;
  }
  // Holds the POP3 maildrop lock of `account` (across all replicas) until the result
  // is destroyed; FAILED_PRECONDITION when another session holds it.
  virtual asio::awaitable<absl::StatusOr<std::unique_ptr<MaildropLock>>> HoldMaildropLock(
      const std::string& account) {
    (void)account;
    co_return absl::UnimplementedError("HoldMaildropLock");
  }
};

// `deadline` applies to every call (ARCHITECTURE.md §3: every call carries one).
std::unique_ptr<MailboxClient> NewGrpcMailboxClient(const std::string& target,
                                                    absl::Duration deadline = absl::Seconds(30));

}  // namespace mail::clients

#endif  // MAILSUITE_SERVICES_LIBS_CLIENTS_MAILBOX_CLIENT_H_
