// gRPC credentials from the --grpc_tls_* flags; see credentials.h.
//
// These flags are defined here rather than in each main.cc (the usual place): all seven
// binaries take them, with one meaning, through GrpcServer and MakeChannel.
#include "services/libs/rpc/credentials.h"

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, grpc_tls_cert, "",
          "PEM certificate of this process for gRPC between services (with --grpc_tls_key and "
          "--grpc_tls_ca: mutual TLS). Empty: plaintext gRPC, for a private network only.");
ABSL_FLAG(std::string, grpc_tls_key, "", "PEM private key for --grpc_tls_cert.");
ABSL_FLAG(std::string, grpc_tls_ca, "",
          "PEM CA bundle that signed the certificates of every gRPC peer.");
ABSL_FLAG(std::string, grpc_tls_server_name, "",
          "Name expected in servers' certificates when it differs from the host of the target "
          "(e.g. the target is an IP address).");

namespace mail::rpc {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is not PEM"));
  }
  return text.str();
}

struct Pems {
  std::string cert, key, ca;
};

absl::StatusOr<Pems> ReadAll(const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty()) {
    return absl::InvalidArgumentError(
        "gRPC mutual TLS needs all of --grpc_tls_cert, --grpc_tls_key and --grpc_tls_ca");
  }
  Pems pems;
  absl::StatusOr<std::string> cert = ReadPem(files.cert, "--grpc_tls_cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(files.key, "--grpc_tls_key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem(files.ca, "--grpc_tls_ca");
  if (!ca.ok()) return ca.status();
  pems.cert = *std::move(cert);
  pems.key = *std::move(key);
  pems.ca = *std::move(ca);
  return pems;
}

}  // namespace

TlsFiles TlsFilesFromFlags() {
  TlsFiles files;
  files.cert = absl::GetFlag(FLAGS_grpc_tls_cert);
  files.key = absl::GetFlag(FLAGS_grpc_tls_key);
  files.ca = absl::GetFlag(FLAGS_grpc_tls_ca);
  files.server_name = absl::GetFlag(FLAGS_grpc_tls_server_name);
  return files;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  absl::StatusOr<Pems> pems = ReadAll(files);
  if (!pems.ok()) return pems.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pems->ca;
  options.pem_key_cert_pairs.push_back({pems->key, pems->cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  absl::StatusOr<Pems> pems = ReadAll(files);
  if (!pems.ok()) return pems.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pems->ca;
  options.pem_private_key = pems->key;
  options.pem_cert_chain = pems->cert;
  return grpc::SslCredentials(options);
}

}  // namespace mail::rpc
