// The status translation table; see status_map.h.
#include "services/libs/rpc/status_map.h"

#include "absl/strings/str_cat.h"

namespace mail::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string SmtpReply::ToString() const { return absl::StrCat(code, " ", enhanced, " ", text); }

SmtpReply SmtpReplyForError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return {550, "5.1.1", "User unknown"};
    case absl::StatusCode::kResourceExhausted:
      return {552, "5.2.2", "Mailbox full"};
    case absl::StatusCode::kPermissionDenied:
      return {554, "5.7.1", "Access denied"};
    case absl::StatusCode::kInvalidArgument:
      return {501, "5.5.4", "Invalid arguments"};
    case absl::StatusCode::kUnauthenticated:
      return {535, "5.7.8", "Authentication credentials invalid"};
    default:
      // UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNKNOWN and the rest: the
      // client keeps the message and tries again (RFC 3463 4.3.0: other or
      // undefined mail system status).
      return {451, "4.3.0", "Temporary failure, please try again later"};
  }
}

std::string ImapCodeForError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return "NONEXISTENT";
    case absl::StatusCode::kResourceExhausted:
      return "OVERQUOTA";
    case absl::StatusCode::kPermissionDenied:
      return "NOPERM";
    case absl::StatusCode::kAlreadyExists:
      return "ALREADYEXISTS";
    case absl::StatusCode::kUnauthenticated:
      return "AUTHENTICATIONFAILED";
    case absl::StatusCode::kInvalidArgument:
      return "CANNOT";
    default:
      return "UNAVAILABLE";  // RFC 5530 §3: temporary, try again later
  }
}

std::string Pop3CodeForError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return "AUTH";
    case absl::StatusCode::kFailedPrecondition:
      return "IN-USE";
    default:
      return "SYS/TEMP";  // RFC 3206 §4: a transient system failure
  }
}

}  // namespace mail::rpc
