// FETCH data items (RFC 3501 §6.4.5, RFC 9051 §6.4.5): what a FETCH command asks
// for, parsed from its arguments, and the name each item has in the response
// ("BODY.PEEK[HEADER]<0.100>" is answered as "BODY[HEADER]<0>"). Values; pure.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_FETCH_ATTRIBUTES_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_FETCH_ATTRIBUTES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/libs/imap/parser.h"

namespace mail::imap {

// section = "[" [section-spec] "]"
struct Section {
  enum class Text { kAll, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  std::vector<uint32_t> part;  // "1.2" → {1, 2}; empty: the whole message
  Text text = Text::kAll;
  std::vector<std::string> fields;  // upper-cased, for kHeaderFields(Not)

  // The section spec as written back in a response: "", "HEADER", "1.2.TEXT",
  // "HEADER.FIELDS (FROM TO)".
  std::string ToString() const;
};

struct FetchAttribute {
  enum class Kind {
    kFlags,
    kUid,
    kInternalDate,
    kRfc822Size,
    kEnvelope,
    kBodyStructure,
    kBody,          // BODY without a section: the non-extensible BODYSTRUCTURE
    kBodySection,   // BODY[...] and BODY.PEEK[...]
    kRfc822,        // = BODY[], sets \Seen
    kRfc822Header,  // = BODY.PEEK[HEADER]
    kRfc822Text,    // = BODY[TEXT], sets \Seen
    kBinary,        // BINARY[part] and BINARY.PEEK[part] (RFC 3516): decoded content
    kBinarySize,    // BINARY.SIZE[part]: octets of the decoded content
  };
  Kind kind = Kind::kFlags;
  bool peek = false;
  Section section;
  std::optional<uint32_t> partial_offset;  // <offset.count>
  uint32_t partial_count = 0;

  // The item's name in the FETCH response.
  std::string ResponseName() const;
  // Needs the message octets.
  bool NeedsBody() const;
  // RFC 3501 §6.4.5: fetching BODY[...] (not PEEK), RFC822 or RFC822.TEXT sets \Seen.
  bool SetsSeen() const;
};

// Parses the items of "FETCH <set> <items>": `items` is the one argument after the
// sequence set, an atom (an item or the macro ALL, FAST or FULL) or a list of items.
// INVALID_ARGUMENT, with a message for "BAD", for anything else.
absl::StatusOr<std::vector<FetchAttribute>> ParseFetchAttributes(const Arg& items);

// Parses one item, e.g. "BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>".
absl::StatusOr<FetchAttribute> ParseFetchAttribute(std::string_view item);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_FETCH_ATTRIBUTES_H_
