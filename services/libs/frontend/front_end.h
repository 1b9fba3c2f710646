// What the protocol front-ends' main() share (smtp-ingress, imap-access, pop3-access):
// the certificate from --tls_cert/--tls_key with its expiry gauge and SIGHUP reload,
// and the drain loop that ends the process. Used from main() only, on its thread.
#ifndef MAILSUITE_SERVICES_LIBS_FRONTEND_FRONT_END_H_
#define MAILSUITE_SERVICES_LIBS_FRONTEND_FRONT_END_H_

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <asio/io_context.hpp>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/libs/base/log.h"
#include "services/libs/net/tls.h"
#include "services/libs/rpc/server.h"

namespace mail::frontend {

// The server certificate of a front-end, or none (TLS off).
class FrontEndTls {
 public:
  // `cert` and `key` are both set or both empty; empty logs `off_warning`. Registers
  // mailsuite_<service>_tls_certificate_expiry_timestamp_seconds in `registry`.
  static absl::StatusOr<FrontEndTls> Load(const std::string& cert, const std::string& key,
                                          prometheus::Registry& registry,
                                          const std::string& service, std::string_view off_warning);

  const std::shared_ptr<net::TlsContext>& context() const { return context_; }
  // SIGHUP: reads the files again (keeps the old certificate on failure, logged).
  void Reload();

 private:
  std::shared_ptr<net::TlsContext> context_;
  prometheus::Gauge* expiry_ = nullptr;
};

// One listening address of a front-end: the flag it came from, and whether TLS starts
// with the first byte (IMAPS, POP3S).
struct ListenSpec {
  const char* flag;
  std::string address;
  bool implicit_tls;
};

// Listens on every non-empty address with `server.Listen(address, implicit_tls)`; an
// implicit-TLS address is skipped with a warning when there is no certificate.
template <typename Server>
absl::Status ListenAll(Server& server, const FrontEndTls& tls,
                       std::initializer_list<ListenSpec> specs) {
  for (const ListenSpec& spec : specs) {
    if (spec.address.empty()) continue;
    if (spec.implicit_tls && tls.context() == nullptr) {
      base::LogWarning("implicit TLS port disabled: no TLS certificate",
                       {{"address", spec.address}, {"flag", spec.flag}});
      continue;
    }
    auto port = server.Listen(spec.address, spec.implicit_tls);
    if (!port.ok()) return port.status();
    base::LogInfo("listening", {{"address", spec.address}, {"flag", spec.flag}});
  }
  return absl::OkStatus();
}

// How the drain loop talks to a server.
struct Drainable {
  std::function<void()> stop_accepting;
  std::function<void()> ask_sessions_to_stop;
  std::function<int()> active_sessions;
};

// Serves on `threads` threads until SIGTERM/SIGINT (SIGHUP reloads `tls`), then
// drains: health NOT_SERVING and listeners closed, sessions asked to stop and given
// `grace`; then exits the process with status 0 (base::ExitAfterDrain).
[[noreturn]] void RunFrontEnd(asio::io_context& io, int threads, FrontEndTls& tls,
                              rpc::GrpcServer& health, const Drainable& server,
                              absl::Duration grace);

}  // namespace mail::frontend

#endif  // MAILSUITE_SERVICES_LIBS_FRONTEND_FRONT_END_H_
