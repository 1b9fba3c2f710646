// Runs a gRPC server with the standard health-checking service
// (grpc.health.v1.Health) on one address. Backends register their services; the
// protocol front-ends run one with no service of their own, for health probes only.
#ifndef MAILSUITE_SERVICES_LIBS_RPC_SERVER_H_
#define MAILSUITE_SERVICES_LIBS_RPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mail::rpc {

class GrpcServer {
 public:
  // Binds `address` ("127.0.0.1:50051"; port 0 picks one) and starts serving.
  // The services are not owned and must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& address, const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  int port() const { return port_; }
  // Health status of the whole server ("" service): SERVING or NOT_SERVING.
  void SetServing(bool serving);
  // Reports NOT_SERVING, lets in-flight calls finish within `grace`, then stops.
  void Shutdown(absl::Duration grace);

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace mail::rpc

#endif  // MAILSUITE_SERVICES_LIBS_RPC_SERVER_H_
