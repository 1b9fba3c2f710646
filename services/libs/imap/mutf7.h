// Modified UTF-7 mailbox names (RFC 3501 §5.1.3): how IMAP4rev1 clients that have not
// enabled UTF8=ACCEPT write non-ASCII names. mailbox-store keeps names in UTF-8; the
// session converts at the edge. Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_MUTF7_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_MUTF7_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail::imap {

// UTF-8 → modified UTF-7 ("Entwürfe" → "Entw&APw-rfe", "&" → "&-"). Invalid UTF-8
// sequences are encoded as U+FFFD.
std::string EncodeMutf7(std::string_view utf8);

// Modified UTF-7 → UTF-8. INVALID_ARGUMENT for malformed input: bad base64, an
// unterminated "&", a base64 run that encodes plain ASCII, broken surrogates.
// Octets above 0x7F are passed through unchanged (clients that send UTF-8 anyway).
absl::StatusOr<std::string> DecodeMutf7(std::string_view mutf7);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_MUTF7_H_
