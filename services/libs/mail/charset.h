// Charset conversion to UTF-8 for decoded header words and RFC 2231 parameter values.
// Uses glibc iconv; pure apart from iconv's own state, which lives in one call. Any
// thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_CHARSET_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_CHARSET_H_

#include <string>
#include <string_view>

namespace mail::mime {

// Converts `text` from `charset` (a MIME charset name, case-insensitive; an RFC 2231
// "*lang" suffix is ignored) to UTF-8, appending to `out`. Invalid sequences become
// U+FFFD. Returns false when the charset is unknown; then the octets are appended as
// if they were ISO-8859-1 when they are not valid UTF-8.
bool AppendUtf8(std::string_view charset, std::string_view text, std::string* out);

// Appends `text` to `out`, replacing invalid UTF-8 sequences with U+FFFD.
void AppendSanitizedUtf8(std::string_view text, std::string* out);

// Appends the UTF-8 encoding of code point `cp` (at most U+10FFFF) to `out`.
void AppendCodePoint(char32_t cp, std::string* out);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_CHARSET_H_
