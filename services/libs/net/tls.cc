// TLS contexts; see tls.h.
#include "services/libs/net/tls.h"

#include <openssl/ssl.h>

namespace mail::net {
namespace {

absl::StatusOr<std::shared_ptr<asio::ssl::context>> NewServerContext(const std::string& cert,
                                                                     const std::string& key) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  std::error_code ec;
  ctx->use_certificate_chain_file(cert, ec);
  if (ec)
    return absl::InvalidArgumentError("cannot load TLS certificate " + cert + ": " + ec.message());
  ctx->use_private_key_file(key, asio::ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError("cannot load TLS key " + key + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return absl::InvalidArgumentError("TLS key " + key + " does not match certificate " + cert);
  }
  return ctx;
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                             const std::string& key_file) {
  std::shared_ptr<TlsContext> tls(new TlsContext(cert_file, key_file));
  absl::Status status = tls->Reload();
  if (!status.ok()) return status;
  return tls;
}

std::shared_ptr<asio::ssl::context> TlsContext::Current() {
  absl::MutexLock lock(&mu_);
  return ctx_;
}

absl::Status TlsContext::Reload() {
  auto ctx = NewServerContext(cert_, key_);
  if (!ctx.ok()) return ctx.status();  // keep serving with the old certificate
  absl::MutexLock lock(&mu_);
  ctx_ = *std::move(ctx);
  return absl::OkStatus();
}

std::shared_ptr<asio::ssl::context> NewClientTlsContext() {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // Opportunistic TLS between MTAs (RFC 3207 §4.1 allows a client to accept any
  // certificate); authenticated TLS comes with DANE/MTA-STS later.
  ctx->set_verify_mode(asio::ssl::verify_none);
  return ctx;
}

}  // namespace mail::net
