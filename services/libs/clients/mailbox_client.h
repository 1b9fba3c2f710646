// MailboxClient: what front-ends and the relay ask of mailbox-store, as awaitables.
// GrpcMailboxClient is the real one; tests/fakes/fake_mailbox_client.h the fake.
// Errors are gRPC status codes turned into absl codes (rpc/status_map.h).
#ifndef MAILSUITE_SERVICES_LIBS_CLIENTS_MAILBOX_CLIENT_H_
#define MAILSUITE_SERVICES_LIBS_CLIENTS_MAILBOX_CLIENT_H_

#include <asio/awaitable.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mail/v1/mailbox_service.grpc.pb.h"

namespace mail::clients {

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
  virtual asio::awaitable<absl::StatusOr<v1::ExpungeMessagesResponse>> ExpungeMessages(
      const v1::ExpungeMessagesRequest& request) = 0;
};

// `deadline` applies to every call (ARCHITECTURE.md §3: every call carries one).
std::unique_ptr<MailboxClient> NewGrpcMailboxClient(const std::string& target,
                                                    absl::Duration deadline = absl::Seconds(30));

}  // namespace mail::clients

#endif  // MAILSUITE_SERVICES_LIBS_CLIENTS_MAILBOX_CLIENT_H_
