// gRPC channels to the other services. Targets are "host:port" or "dns:///name:port";
// calls balance round-robin over the addresses of a name (Kubernetes headless
// Services). Channels are thread-safe and meant to be shared.
#ifndef MAILSUITE_SERVICES_LIBS_RPC_CHANNEL_H_
#define MAILSUITE_SERVICES_LIBS_RPC_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace mail::rpc {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

}  // namespace mail::rpc

#endif  // MAILSUITE_SERVICES_LIBS_RPC_CHANNEL_H_
