#include "services/libs/rpc/status_map.h"

#include <catch2/catch.hpp>

namespace mail::rpc {
namespace {

TEST_CASE("status_map: unreachable or slow backends are a temporary SMTP failure") {
  for (auto status :
       {absl::UnavailableError("down"), absl::DeadlineExceededError("slow"),
        absl::AbortedError("conflict"), absl::InternalError("bug"), absl::UnknownError("?")}) {
    SmtpReply reply = SmtpReplyForError(status);
    CHECK(reply.code == 451);
    CHECK(reply.enhanced == "4.3.0");
  }
  CHECK(SmtpReplyForError(absl::UnavailableError("x")).ToString().rfind("451 4.3.0 ", 0) == 0);
}

TEST_CASE("status_map: permanent SMTP replies for answers that will not change") {
  CHECK(SmtpReplyForError(absl::NotFoundError("")).ToString() == "550 5.1.1 User unknown");
  CHECK(SmtpReplyForError(absl::ResourceExhaustedError("")).ToString() == "552 5.2.2 Mailbox full");
  CHECK(SmtpReplyForError(absl::PermissionDeniedError("")).code == 554);
  CHECK(SmtpReplyForError(absl::UnauthenticatedError("")).enhanced == "5.7.8");
}

TEST_CASE("status_map: IMAP and POP3 response codes") {
  CHECK(ImapCodeForError(absl::UnavailableError("")) == "UNAVAILABLE");
  CHECK(ImapCodeForError(absl::DeadlineExceededError("")) == "UNAVAILABLE");
  CHECK(ImapCodeForError(absl::ResourceExhaustedError("")) == "OVERQUOTA");
  CHECK(ImapCodeForError(absl::NotFoundError("")) == "NONEXISTENT");
  CHECK(Pop3CodeForError(absl::UnavailableError("")) == "SYS/TEMP");
  CHECK(Pop3CodeForError(absl::FailedPreconditionError("")) == "IN-USE");
  CHECK(Pop3CodeForError(absl::UnauthenticatedError("")) == "AUTH");
}

TEST_CASE("status_map: absl and gRPC statuses round-trip code and message") {
  absl::Status in = absl::NotFoundError("domain unknown.test does not exist");
  grpc::Status g = ToGrpcStatus(in);
  CHECK(g.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(g.error_message() == "domain unknown.test does not exist");
  absl::Status back = FromGrpcStatus(g);
  CHECK(back == in);
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace mail::rpc
