// Server TLS settings from a certificate chain and key in PEM files: TLS 1.2 or
// newer only. Reload() re-reads the files (SIGHUP); sessions started after it use
// the new certificate. Thread-safe.
#ifndef MAILSUITE_SERVICES_LIBS_NET_TLS_H_
#define MAILSUITE_SERVICES_LIBS_NET_TLS_H_

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace mail::net {

class TlsContext {
 public:
  static absl::StatusOr<std::shared_ptr<TlsContext>> Load(const std::string& cert_file,
                                                          const std::string& key_file);
  // The context for a new session; it stays valid for that session after a reload.
  std::shared_ptr<asio::ssl::context> Current();
  absl::Status Reload();
  // Expiry (notAfter) of the loaded certificate in Unix seconds, for the
  // mailsuite_<service>_tls_certificate_expiry_timestamp_seconds gauge.
  int64_t NotAfterUnix();

 private:
  TlsContext(std::string cert, std::string key) : cert_(std::move(cert)), key_(std::move(key)) {}
  const std::string cert_, key_;
  absl::Mutex mu_;
  std::shared_ptr<asio::ssl::context> ctx_ ABSL_GUARDED_BY(mu_);
  int64_t not_after_ ABSL_GUARDED_BY(mu_) = 0;
};

// Reloads the certificate on SIGHUP and logs the outcome; on failure the old
// certificate stays in use. Does nothing when `tls` is null (no TLS configured).
void ReloadAndLog(TlsContext* tls);

// A client context for outbound STARTTLS (opportunistic: no verification, as MTAs
// do without DANE/MTA-STS), TLS 1.2+.
std::shared_ptr<asio::ssl::context> NewClientTlsContext();

}  // namespace mail::net

#endif  // MAILSUITE_SERVICES_LIBS_NET_TLS_H_
