// MIME structure of a stored message (RFC 2045-2047, RFC 2231, RFC 5322): header
// unfolding, Content-* fields with parameters, and the part tree with the byte offsets
// of every part's header and body, so IMAP serves BODY[1.2.MIME] etc. by offsets.
// Pure functions over the caller's bytes, no I/O; any thread. Untrusted input never
// crashes: past the limits below the rest of a part is kept as an opaque body.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_MIME_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_MIME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mail::mime {

struct Limits {
  int max_depth = 32;           // nesting of multipart / message/rfc822
  size_t max_parts = 10000;     // parts in one message
  size_t max_header = 1 << 20;  // octets of one header section
};

// One header field: the name as written (without trailing blanks) and the value
// unfolded (RFC 5322 §2.2.3: every CR and LF removed), leading blanks dropped, trailing
// ones kept (as Dovecot does). 8-bit octets are kept as they are.
struct HeaderField {
  std::string name;
  std::string value;
};

// The fields of a header section (which may include the blank line that ends it).
// Lines that are no field (no colon) are skipped.
std::vector<HeaderField> ParseHeader(std::string_view header);

// The value of the first (or last) field named `name` (case-insensitive), if any.
const HeaderField* FindField(const std::vector<HeaderField>& fields, std::string_view name,
                             bool last = false);

struct Param {
  std::string name;   // as written; an RFC 2231 extended value keeps its trailing '*'
  std::string value;  // unquoted; extended values stay charset'lang'%XX encoded
};

// "; a=b; c="d"" after a Content-Type or Content-Disposition value. RFC 2231
// continuations (name*0, name*1*) are merged in index order, as Dovecot does;
// sets with a missing index are kept unmerged.
std::vector<Param> ParseParams(std::string_view text);

// The value of `name` in `params`, case-insensitive, decoding an RFC 2231 extended
// value (name*) to UTF-8 when there is one. Empty when absent.
std::optional<std::string> GetParam(const std::vector<Param>& params, std::string_view name);

enum class PartKind : uint8_t {
  kLeaf = 0,       // any single part, including text/*
  kMultipart = 1,  // children are the body parts
  kMessage = 2,    // message/rfc822: one child, the embedded message
};

enum class Encoding : uint8_t { k7bit = 0, k8bit, kBinary, kBase64, kQuotedPrintable, kOther };

// One MIME part. Offsets are into the parsed bytes. For the root and for the child of
// a message/rfc822 part, [header_begin, body_begin) is a full RFC 5322 header.
struct Part {
  PartKind kind = PartKind::kLeaf;
  int parent = -1;
  std::vector<int> children;  // indices into Message::parts, in order
  int depth = 0;

  size_t header_begin = 0;  // first octet of the part's (MIME) header
  size_t body_begin = 0;    // first octet after the blank line ending the header
  size_t body_end = 0;      // one past the body (the CRLF before a boundary excluded)
  uint32_t lines = 0;       // LF count in the body

  // Content-Type; type/subtype as written. Both empty when the part had no usable
  // Content-Type (then the default applies: text/plain, or message/rfc822 in a
  // multipart/digest, RFC 2046 §5.1.5).
  bool has_content_type = false;
  bool content_type_broken = false;  // parameters not parsed (Dovecot keeps the type)
  std::string type, subtype;
  std::vector<Param> params;
  std::optional<std::string> id, description, transfer_encoding, md5, location;
  std::optional<std::string> disposition;
  std::vector<Param> disposition_params;
  std::vector<std::string> languages;
  Encoding encoding = Encoding::k7bit;

  size_t body_size() const { return body_end - body_begin; }
  // The effective type, lowercased ("text", "multipart", "message", ...).
  std::string effective_type;
  std::string effective_subtype;
};

struct Message {
  std::vector<Part> parts;  // parts[0] is the whole message; preorder
  bool limits_hit = false;  // a limit made some content opaque
};

// Parses `raw` (CRLF line ends; bare LF tolerated). Never fails.
Message Parse(std::string_view raw, const Limits& limits = Limits());

// The content of a part with its Content-Transfer-Encoding undone (base64, quoted-
// printable; anything else unchanged): IMAP BINARY[section] (RFC 3516).
std::string DecodeContent(std::string_view body, Encoding encoding);

// The text SEARCH BODY/TEXT matches (RFC 3501 §6.4.4): every text/* leaf of the
// message, transfer encoding undone and converted from its charset to UTF-8, parts
// separated by a newline. Attachments (Content-Disposition: attachment) are skipped.
std::string SearchableText(std::string_view raw, const Message& message);

// ---- The compact part table stored next to the message ------------------------------
// Just the offsets IMAP needs to serve BODY[section] without parsing again.

struct PartOffsets {
  PartKind kind = PartKind::kLeaf;
  Encoding encoding = Encoding::k7bit;
  uint64_t header_begin = 0, body_begin = 0, body_end = 0;
  uint32_t lines = 0;
  std::vector<uint32_t> children;  // indices into PartTable::parts
};

struct PartTable {
  std::vector<PartOffsets> parts;  // parts[0] is the whole message
};

PartTable ToPartTable(const Message& message);
// Binary form (version byte, then varints in preorder): a few bytes per part.
std::string EncodePartTable(const PartTable& table);
absl::StatusOr<PartTable> DecodePartTable(std::string_view data);

// What a section-part ("1.2.3", as numbers; empty = the whole message) refers to
// (RFC 3501 §6.4.5). header_* is the part's MIME header ([n.MIME]); when the part is
// a message (the root, or message/rfc822), message_header_* / message_text_* are the
// embedded message's header and text ([n.HEADER], [n.TEXT]).
struct SectionRange {
  uint64_t header_begin = 0, header_end = 0;  // MIME header (= body_begin when none)
  uint64_t body_begin = 0, body_end = 0;      // [n]
  bool is_message = false;
  uint64_t message_header_begin = 0, message_header_end = 0;
  uint64_t message_text_begin = 0, message_text_end = 0;
  Encoding encoding = Encoding::k7bit;
  PartKind kind = PartKind::kLeaf;
};

// nullopt when the section does not exist. A non-multipart part has exactly one
// subpart, "1", itself (RFC 3501 §6.4.5); n of a message/rfc822 part numbers the
// parts of the embedded message.
std::optional<SectionRange> ResolveSection(const PartTable& table,
                                           const std::vector<uint32_t>& section);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_MIME_H_
