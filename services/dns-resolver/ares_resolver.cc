// c-ares event loop; see ares_resolver.h.
#include "services/dns-resolver/ares_resolver.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "services/dns-resolver/dns_message.h"

namespace mail::dns_resolver {
namespace {

constexpr int kClassIn = 1;

// What a c-ares status means for the caller. ENOTFOUND and ENODATA come with the
// response (parsed for its SOA); without one they are still answers.
Answer AnswerFromStatus(int status, std::string_view name) {
  switch (status) {
    case ARES_ENOTFOUND: {
      Answer a;
      a.outcome = Outcome::kNxDomain;
      a.detail = absl::StrCat(std::string(name), ": no such domain (NXDOMAIN)");
      return a;
    }
    case ARES_ENODATA: {
      Answer a;
      a.outcome = Outcome::kNoData;
      a.detail = absl::StrCat(std::string(name), ": no record of the requested type");
      return a;
    }
    case ARES_ECONNREFUSED:
      // What c-ares reports once every server answered SERVFAIL or REFUSED (it tries
      // the next server on those) or could not be reached.
      return Answer::TempFail(
          absl::StrCat(std::string(name),
                       ": no upstream DNS server gave an answer (SERVFAIL, REFUSED or "
                       "unreachable)"));
    default:
      // ESERVFAIL, EREFUSED, ETIMEOUT, EBADRESP, EFORMERR, ENOTIMP, ECANCELLED,
      // EDESTRUCTION ...: nothing the caller may treat as an answer.
      return Answer::TempFail(absl::StrCat(std::string(name), ": ", ares_strerror(status)));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<AresResolver>> AresResolver::Start(const AresOptions& options) {
  ares_options opts{};
  opts.timeout = static_cast<int>(absl::ToInt64Milliseconds(options.timeout));
  opts.tries = options.tries;
  // Mail domains are absolute: never append search domains (ares_query does not,
  // but ares_search would).
  opts.flags = ARES_FLAG_NOSEARCH;
  ares_channel channel;
  int rc = ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
  if (rc != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_init_options: ", ares_strerror(rc)));
  }
  if (!options.upstream.empty()) {
    rc = ares_set_servers_ports_csv(channel, options.upstream.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(channel);
      return absl::InvalidArgumentError(
          absl::StrCat("bad --upstream '", options.upstream, "': ", ares_strerror(rc)));
    }
  }
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    ares_destroy(channel);
    return absl::InternalError("eventfd failed");
  }
  std::unique_ptr<AresResolver> resolver(new AresResolver(channel, wake_fd));
  resolver->thread_ = std::thread([r = resolver.get()] { r->Loop(); });
  return resolver;
}

AresResolver::AresResolver(ares_channel channel, int wake_fd)
    : channel_(channel), wake_fd_(wake_fd) {}

AresResolver::~AresResolver() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  close(wake_fd_);
}

void AresResolver::Query(const std::string& name, RecordType type,
                         std::function<void(Answer)> done) {
  auto request = std::make_unique<Request>(Request{name, type, std::move(done)});
  {
    absl::MutexLock lock(&mu_);
    if (!stop_) {
      queue_.push_back(std::move(request));
    }
  }
  if (request != nullptr) {  // shutting down: `done` is still called exactly once
    request->done(Answer::TempFail("resolver shutting down"));
    return;
  }
  Wake();
}

void AresResolver::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void AresResolver::OnReply(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  Answer answer;
  if (abuf != nullptr && alen > 0 &&
      (status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA)) {
    auto parsed = ParseResponse(
        std::string_view(reinterpret_cast<const char*>(abuf), static_cast<size_t>(alen)),
        request->name, request->type);
    answer = parsed.ok()
                 ? *std::move(parsed)
                 : Answer::TempFail(absl::StrCat(request->name, ": ", parsed.status().message()));
  } else {
    answer = AnswerFromStatus(status, request->name);
  }
  request->done(std::move(answer));
}

void AresResolver::Loop() {
  std::vector<pollfd> fds;
  while (true) {
    std::deque<std::unique_ptr<Request>> batch;
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(queue_);
      stop = stop_;
    }
    if (stop) {
      // Every pending callback runs now with ARES_EDESTRUCTION (temporary failure),
      // and requests still queued are failed the same way.
      ares_destroy(channel_);
      for (auto& r : batch) r->done(Answer::TempFail("resolver shutting down"));
      return;
    }
    for (auto& r : batch) {
      Request* raw = r.release();
      ares_query(channel_, raw->name.c_str(), kClassIn, WireType(raw->type), &OnReply, raw);
    }

    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events == 0) continue;
      fds.push_back({socks[i], events, 0});
    }
    timeval max_wait{1, 0};
    timeval tv;
    timeval* wait = ares_timeout(channel_, &max_wait, &tv);
    const int timeout_ms = static_cast<int>(wait->tv_sec * 1000 + wait->tv_usec / 1000);
    const int n = poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0) continue;  // EINTR
    if (fds[0].revents & POLLIN) {
      uint64_t drained;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &drained, sizeof drained);
    }
    bool any = false;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      any = true;
      const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
      const bool writable = fds[i].revents & POLLOUT;
      ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
    // Also runs c-ares' timeout processing (retries, next server, ETIMEOUT).
    if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
}

}  // namespace mail::dns_resolver
