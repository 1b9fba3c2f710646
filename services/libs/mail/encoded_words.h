// RFC 2047 encoded words ("=?charset?B|Q?text?=") decoded to UTF-8, for SEARCH on
// headers and for display. ENVELOPE and BODYSTRUCTURE carry the raw text instead.
// Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_ENCODED_WORDS_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_ENCODED_WORDS_H_

#include <string>
#include <string_view>

namespace mail::mime {

// Decodes every encoded word of an unfolded header value. Whitespace between two
// adjacent encoded words is dropped (RFC 2047 §6.2), and adjacent words in the same
// charset are joined before conversion, so a multi-octet character split across
// words survives. Text outside encoded words is kept (invalid UTF-8 is read as
// ISO-8859-1). Malformed words stay as they are.
std::string DecodeEncodedWords(std::string_view value);

// Base64 (RFC 2045 §6.8), tolerant: skips characters outside the alphabet and
// missing padding. Quoted-printable (RFC 2045 §6.7) with `q_encoding` for the RFC
// 2047 "Q" variant ('_' is a space).
std::string DecodeBase64(std::string_view text);
std::string DecodeQuotedPrintable(std::string_view text, bool q_encoding);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_ENCODED_WORDS_H_
