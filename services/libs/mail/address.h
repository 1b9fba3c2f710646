// Mail addresses as SMTP carries them (RFC 5321 §4.1.2 Path / Mailbox, with the
// RFC 6531 SMTPUTF8 extensions): parsing of <path> with angle brackets, the null
// path <>, source routes (accepted and dropped), quoted local parts and address
// literals. Pure functions, no I/O; safe from any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_ADDRESS_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_ADDRESS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail {

// RFC 5321 §4.5.3.1: size limits of the parts of an address.
inline constexpr size_t kMaxLocalPartLength = 64;
inline constexpr size_t kMaxDomainLength = 255;
inline constexpr size_t kMaxPathLength = 256;  // including the angle brackets

struct Mailbox {
  // The local part in canonical form: the bare dot-string when it is one, else the
  // quoted string with its quotes and the minimal backslash escapes. Case kept (the
  // local part is case-sensitive per RFC 5321 §2.4; the store decides).
  std::string local_part;
  // The domain, ASCII letters lowercased; an address literal keeps its brackets
  // ("[192.0.2.1]"). Empty only for the special <Postmaster> recipient.
  std::string domain;
  // True when the local part or domain holds non-ASCII (UTF-8) octets.
  bool utf8 = false;

  // "local@domain" ("postmaster" alone for <Postmaster>).
  std::string ToString() const;
};

struct Path {
  bool null = false;  // "<>": the null reverse-path (bounces)
  Mailbox mailbox;    // unset when null
};

struct ParseOptions {
  // Accept UTF-8 in local parts and domains (the transaction asked for SMTPUTF8).
  bool allow_utf8 = false;
  // Accept "<>" (MAIL FROM only).
  bool allow_null = false;
  // Accept "<Postmaster>" without a domain (RCPT TO only, RFC 5321 §4.1.1.3).
  bool allow_postmaster = false;
  // Accept a missing pair of angle brackets ("MAIL FROM:user@host"), as many MTAs
  // do for broken clients. The bare form then ends at the first space.
  bool allow_bare = false;
};

// Parses a path at the start of `text` ("<a@b.example> SIZE=10"). On success
// `*consumed` (optional) is the number of octets the path took, so the caller can
// parse ESMTP parameters after it. Errors are InvalidArgument with a short human
// reason usable in a 501/553 reply text.
absl::StatusOr<Path> ParsePath(std::string_view text, const ParseOptions& options,
                               size_t* consumed = nullptr);

// Parses a bare "local@domain" (no brackets, nothing after it), e.g. an AUTH user
// name or an address from the store.
absl::StatusOr<Mailbox> ParseMailbox(std::string_view text, bool allow_utf8 = true);

// Splits "local@domain" at the last '@' (a quoted local part may contain '@').
// False when there is no '@' or either side is empty.
bool SplitAddress(std::string_view address, std::string* local_part, std::string* domain);

// Lowercases ASCII letters only (UTF-8 octets are left alone).
std::string AsciiLower(std::string_view text);

// Address equality as used for sender ownership: case-insensitive over ASCII, both
// sides in the canonical form of ParseMailbox when they parse.
bool SameAddress(std::string_view a, std::string_view b);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace mail

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_ADDRESS_H_
