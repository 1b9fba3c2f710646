// gRPC server runner with health checking; see server.h.
#include "services/libs/rpc/server.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>

#include "services/libs/base/log.h"
#include "services/libs/rpc/credentials.h"

namespace mail::rpc {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const std::string& address, const std::vector<grpc::Service*>& services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      ServerCredentials(TlsFilesFromFlags());
  if (!creds.ok()) return creds.status();
  builder.AddListeningPort(address, *creds, &server->port_);
  // Bodies travel in 1 MiB chunks; leave room for the envelope.
  builder.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  for (grpc::Service* s : services) builder.RegisterService(s);
  // A server with no service of its own (the front-ends' health-only server) has no
  // polled completion queue, and BuildAndStart refuses it. A generic callback service
  // answers unknown methods with UNIMPLEMENTED, as gRPC would, and brings one.
  static grpc::CallbackGenericService* const unimplemented = new grpc::CallbackGenericService();
  if (services.empty()) builder.RegisterCallbackGenericService(unimplemented);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError("cannot serve gRPC on " + address);
  }
  server->SetServing(true);
  base::LogInfo("grpc server listening",
                {{"address", address}, {"port", std::to_string(server->port_)}});
  return server;
}

GrpcServer::~GrpcServer() {
  if (!shut_down_ && server_ != nullptr) Shutdown(absl::Seconds(1));
}

void GrpcServer::SetServing(bool serving) {
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(serving);
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

}  // namespace mail::rpc
