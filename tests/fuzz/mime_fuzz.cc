// libFuzzer target for the MIME structure parser: parse, ENVELOPE, BODYSTRUCTURE, the
// part table round trip, section resolution, RFC 2047 decoding and the header fields
// stored for SEARCH of any input must neither crash nor hang, the offsets must stay
// inside the input and the stored header fields must be a JSON object.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "services/libs/mail/bodystructure.h"
#include "services/libs/mail/encoded_words.h"
#include "services/libs/mail/mime.h"
#include "tests/unit/libs/mail/imap_list_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  mail::mime::Message m = mail::mime::Parse(raw);
  for (const mail::mime::Part& p : m.parts) {
    if (p.header_begin > p.body_begin || p.body_begin > p.body_end || p.body_end > size) abort();
  }
  mail::mime::MessageStructure s = mail::mime::ComputeStructure(raw);
  // What FETCH copies out must always be a well-formed IMAP list.
  using mail::mime::testing::IsWellFormedImapList;
  if (!IsWellFormedImapList(s.envelope) || !IsWellFormedImapList(s.bodystructure) ||
      !IsWellFormedImapList(s.body)) {
    abort();
  }
  // The header fields stored for SEARCH go into a jsonb column: an object, with no raw
  // control character (PostgreSQL would refuse the delivery).
  if (s.search_headers.size() < 2 || s.search_headers.front() != '{' ||
      s.search_headers.back() != '}') {
    abort();
  }
  for (char c : s.search_headers) {
    if (static_cast<unsigned char>(c) < 0x20) abort();
  }
  auto table = mail::mime::DecodePartTable(s.parts);
  if (!table.ok() || table->parts.size() != m.parts.size()) abort();
  mail::mime::ResolveSection(*table, {1, 2, 1});
  mail::mime::ResolveSection(*table, {2});
  // The part table decoder also reads stored bytes: it must reject garbage cleanly.
  (void)mail::mime::DecodePartTable(raw);
  if (size < 4096) (void)mail::mime::DecodeEncodedWords(raw);
  (void)mail::mime::SearchableText(raw, m);
  return 0;
}
