// Credentials of the gRPC links between the suite's processes (ARCHITECTURE.md §6):
// plaintext by default (a private network, loopback), or mutual TLS when the
// --grpc_tls_{cert,key,ca} flags are set: servers then require and verify a client
// certificate from the CA, and clients verify the server against the same CA and
// present their own. Used by GrpcServer::Start and MakeChannel, so every process and
// mailctl honour the same flags. Thread-safe; files are read on each call.
#ifndef MAILSUITE_SERVICES_LIBS_RPC_CREDENTIALS_H_
#define MAILSUITE_SERVICES_LIBS_RPC_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mail::rpc {

struct TlsFiles {
  std::string cert;         // PEM certificate chain of this process
  std::string key;          // PEM private key
  std::string ca;           // PEM CA bundle that signed every peer
  std::string server_name;  // expected in servers' certificates, if not the target host
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// The --grpc_tls_* flags (MAILSUITE_GRPC_TLS_* in the environment).
TlsFiles TlsFilesFromFlags();

// Insecure credentials when `files` is empty; mutual TLS when all three files are
// given and readable; INVALID_ARGUMENT when only some are given or one cannot be read
// (never a silent fall back to plaintext).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const TlsFiles& files);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const TlsFiles& files);

}  // namespace mail::rpc

#endif  // MAILSUITE_SERVICES_LIBS_RPC_CREDENTIALS_H_
