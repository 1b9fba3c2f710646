// libFuzzer target for the MIME structure parser: parse, ENVELOPE, BODYSTRUCTURE, the
// part table round trip, section resolution and RFC 2047 decoding of any input must
// neither crash nor hang, and the offsets must stay inside the input.
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
