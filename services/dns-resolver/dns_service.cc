// DnsService handlers; see dns_service.h.
#include "services/dns-resolver/dns_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"

namespace mail::dns_resolver {
namespace {

grpc::Status BadName(const std::string& what, const std::string& name) {
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat("not a valid DNS name for ", what, ": '", name.substr(0, 300), "'"));
}

}  // namespace

absl::Time DnsServiceImpl::Deadline(const grpc::ServerContext* ctx) const {
  absl::Time own = absl::Now() + max_wait_;
  auto client = ctx->deadline();
  if (client == std::chrono::system_clock::time_point::max()) return own;
  // Answer a little before the caller gives up, so it gets TEMPORARY_FAILURE rather
  // than DEADLINE_EXCEEDED.
  return std::min(own, absl::FromChrono(client) - absl::Milliseconds(50));
}

grpc::Status DnsServiceImpl::ResolveMx(grpc::ServerContext* ctx,
                                       const v1::ResolveMxRequest* request,
                                       v1::ResolveMxResponse* response) {
  std::string domain;
  if (!NormalizeName(request->domain(), &domain)) return BadName("ResolveMx", request->domain());
  *response = lookups_->ResolveMx(domain, Deadline(ctx));
  base::LogDebug("ResolveMx", {{"domain", domain},
                               {"outcome", v1::DnsOutcome_Name(response->outcome())},
                               {"hosts", std::to_string(response->hosts_size())}});
  return grpc::Status::OK;
}

grpc::Status DnsServiceImpl::ResolveAddress(grpc::ServerContext* ctx,
                                            const v1::ResolveAddressRequest* request,
                                            v1::ResolveAddressResponse* response) {
  std::string name;
  if (!NormalizeName(request->name(), &name)) return BadName("ResolveAddress", request->name());
  *response = lookups_->ResolveAddress(name, Deadline(ctx));
  return grpc::Status::OK;
}

grpc::Status DnsServiceImpl::ResolveTxt(grpc::ServerContext* ctx,
                                        const v1::ResolveTxtRequest* request,
                                        v1::ResolveTxtResponse* response) {
  std::string name;
  if (!NormalizeName(request->name(), &name)) return BadName("ResolveTxt", request->name());
  *response = lookups_->ResolveTxt(name, Deadline(ctx));
  return grpc::Status::OK;
}

grpc::Status DnsServiceImpl::ResolvePtr(grpc::ServerContext* ctx,
                                        const v1::ResolvePtrRequest* request,
                                        v1::ResolvePtrResponse* response) {
  std::string reverse;
  if (!ReverseName(request->address(), &reverse)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("not an IP address for ResolvePtr: '",
                                     request->address().substr(0, 100), "'"));
  }
  *response = lookups_->ResolvePtr(reverse, Deadline(ctx));
  base::LogDebug("ResolvePtr", {{"address", request->address()},
                                {"outcome", v1::DnsOutcome_Name(response->outcome())},
                                {"names", std::to_string(response->names_size())}});
  return grpc::Status::OK;
}

}  // namespace mail::dns_resolver
