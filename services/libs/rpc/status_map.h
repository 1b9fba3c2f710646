// The one table that translates errors across process boundaries (ARCHITECTURE.md
// §3): absl::Status <-> grpc::Status, and a backend's status to the SMTP reply,
// IMAP response code and POP3 response code a front-end sends. Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_RPC_STATUS_MAP_H_
#define MAILSUITE_SERVICES_LIBS_RPC_STATUS_MAP_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace mail::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

struct SmtpReply {
  int code;              // 451
  std::string enhanced;  // "4.3.0"
  std::string text;      // "Temporary failure, try again later"
  // "451 4.3.0 Temporary failure, try again later"
  std::string ToString() const;
};

// The SMTP reply for a failed backend call:
//   UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNKNOWN → 451 4.3.0
//   NOT_FOUND (recipient)                                    → 550 5.1.1
//   RESOURCE_EXHAUSTED (quota)                               → 552 5.2.2
//   PERMISSION_DENIED                                        → 554 5.7.1
//   INVALID_ARGUMENT                                         → 501 5.5.4
//   UNAUTHENTICATED                                          → 535 5.7.8
//   everything else                                          → 451 4.3.0
SmtpReply SmtpReplyForError(const absl::Status& status);

// The IMAP response code (RFC 5530) for a failed backend call, e.g. "UNAVAILABLE"
// for a tagged "NO [UNAVAILABLE] ...".
std::string ImapCodeForError(const absl::Status& status);

// The POP3 extended response code (RFC 2449/3206), e.g. "SYS/TEMP".
std::string Pop3CodeForError(const absl::Status& status);

}  // namespace mail::rpc

#endif  // MAILSUITE_SERVICES_LIBS_RPC_STATUS_MAP_H_
