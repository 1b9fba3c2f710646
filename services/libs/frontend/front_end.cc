// Front-end wiring; see front_end.h.
#include "services/libs/frontend/front_end.h"

#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/net/server_loop.h"

namespace mail::frontend {

absl::StatusOr<FrontEndTls> FrontEndTls::Load(const std::string& cert, const std::string& key,
                                              prometheus::Registry& registry,
                                              const std::string& service,
                                              std::string_view off_warning) {
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError("give both --tls_cert and --tls_key, or neither");
  }
  FrontEndTls tls;
  tls.expiry_ = &metrics::CertificateExpiryGauge(registry, service);
  if (cert.empty()) {
    base::LogWarning(off_warning);
    return tls;
  }
  absl::StatusOr<std::shared_ptr<net::TlsContext>> loaded = net::TlsContext::Load(cert, key);
  if (!loaded.ok()) return loaded.status();
  tls.context_ = *std::move(loaded);
  tls.expiry_->Set(static_cast<double>(tls.context_->NotAfterUnix()));
  return tls;
}

void FrontEndTls::Reload() {
  net::ReloadAndLog(context_.get());
  if (context_ != nullptr) expiry_->Set(static_cast<double>(context_->NotAfterUnix()));
}

void RunFrontEnd(asio::io_context& io, int threads, FrontEndTls& tls, rpc::GrpcServer& health,
                 const Drainable& server, absl::Duration grace) {
  net::ServerLoopHooks hooks;
  hooks.reload = [&tls] { tls.Reload(); };
  hooks.stop_accepting = [&] {
    health.SetServing(false);
    server.stop_accepting();
  };
  hooks.ask_sessions_to_stop = server.ask_sessions_to_stop;
  hooks.active_sessions = server.active_sessions;
  net::RunServerLoop(io, threads, hooks, grace);
  health.Shutdown(absl::Seconds(1));
  base::ExitAfterDrain();
}

}  // namespace mail::frontend
