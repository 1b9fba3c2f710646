// Channels with round-robin balancing; see channel.h.
#include "services/libs/rpc/channel.h"

#include "services/libs/base/log.h"
#include "services/libs/rpc/credentials.h"

namespace mail::rpc {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  // Reconnect quickly after a backend restarts so a retried call finds it.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  TlsFiles tls = TlsFilesFromFlags();
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ChannelCredentials(tls);
  if (!creds.ok()) {
    // Fail closed: a channel to nowhere, whose every call fails UNAVAILABLE; never
    // plaintext to the real peer.
    base::LogError("gRPC client TLS is misconfigured",
                   {{"target", target}, {"error", creds.status().ToString()}});
    return grpc::CreateCustomChannel("unix:/nonexistent/mailsuite-grpc-tls-misconfigured",
                                     grpc::InsecureChannelCredentials(), args);
  }
  return grpc::CreateCustomChannel(target, *creds, args);
}

}  // namespace mail::rpc
