// Splits a message into the envelope-then-chunks request stream shared by Deliver
// and Enqueue (bodies travel in chunks of at most 1 MiB, ARCHITECTURE.md §3).
#ifndef MAILSUITE_SERVICES_LIBS_CLIENTS_BODY_CHUNKS_H_
#define MAILSUITE_SERVICES_LIBS_CLIENTS_BODY_CHUNKS_H_

#include <algorithm>
#include <string>
#include <vector>

#include "mail/v1/types.pb.h"

namespace mail::clients {

inline constexpr size_t kBodyChunkSize = 1024 * 1024;

template <typename Request>
std::vector<Request> EnvelopeThenChunks(const v1::Envelope& envelope, const std::string& body) {
  std::vector<Request> requests;
  requests.reserve(2 + body.size() / kBodyChunkSize);
  *requests.emplace_back().mutable_envelope() = envelope;
  requests.front().mutable_envelope()->set_size_hint(body.size());
  for (size_t off = 0; off < body.size(); off += kBodyChunkSize) {
    requests.emplace_back().mutable_chunk()->set_data(
        body.substr(off, std::min(kBodyChunkSize, body.size() - off)));
  }
  return requests;
}

}  // namespace mail::clients

#endif  // MAILSUITE_SERVICES_LIBS_CLIENTS_BODY_CHUNKS_H_
