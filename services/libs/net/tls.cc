// TLS contexts; see tls.h.
#include "services/libs/net/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>

#include "services/libs/base/log.h"

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

int64_t CertificateNotAfter(asio::ssl::context& ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx.native_handle());
  if (cert == nullptr) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
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
  int64_t not_after = CertificateNotAfter(**ctx);
  absl::MutexLock lock(&mu_);
  ctx_ = *std::move(ctx);
  not_after_ = not_after;
  return absl::OkStatus();
}

int64_t TlsContext::NotAfterUnix() {
  absl::MutexLock lock(&mu_);
  return not_after_;
}

void ReloadAndLog(TlsContext* tls) {
  if (tls == nullptr) return;
  absl::Status status = tls->Reload();
  if (status.ok()) {
    base::LogInfo("TLS certificate reloaded");
  } else {
    base::LogError("TLS reload failed; keeping the old certificate",
                   {{"error", std::string(status.message())}});
  }
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
