// `mailctl health ADDRESS [SERVICE]`: one grpc.health.v1.Health/Check call, for container
// HEALTHCHECKs and operators. Every process serves the standard health service on its
// --grpc_address, so this works against all six; exit 0 only when the answer is SERVING.
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/libs/rpc/channel.h"
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {

int Cli::Health(const Args& args) {
  if (args.empty() || args.size() > 2) return Usage("health ADDRESS [SERVICE]");
  const std::string& target = args[0];
  // An empty service name asks about the server as a whole (the health protocol's convention).
  grpc::health::v1::HealthCheckRequest request;
  if (args.size() == 2) request.set_service(args[1]);
  auto stub = grpc::health::v1::Health::NewStub(rpc::MakeChannel(target));
  grpc::health::v1::HealthCheckResponse response;
  auto context = Context();
  grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) {
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        err_ << "mailctl: cannot reach " << target << " (" << status.error_message() << ")\n";
        return kExitUnreachable;
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        err_ << "mailctl: " << target << " did not answer within "
             << absl::FormatDuration(options_.timeout) << "\n";
        return kExitUnreachable;
      case grpc::StatusCode::NOT_FOUND:
        err_ << "mailctl: " << target << " does not know service \"" << request.service() << "\"\n";
        return kExitFailed;
      default:
        err_ << "mailctl: health check of " << target << " failed: " << status.error_message()
             << "\n";
        return kExitFailed;
    }
  }
  out_ << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                             : kExitFailed;
}

}  // namespace mail::mailctl
