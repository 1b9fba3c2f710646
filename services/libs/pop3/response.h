// POP3 responses (RFC 1939 §3, RFC 2449 §8): status lines with optional extended
// response codes, and multi-line bodies with CRLF line endings and byte-stuffing.
// Pure functions; callable from any thread.
#ifndef MAILSUITE_SERVICES_LIBS_POP3_RESPONSE_H_
#define MAILSUITE_SERVICES_LIBS_POP3_RESPONSE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::pop3 {

// "+OK text\r\n". CR and LF in `text` become spaces so a reply is always one line.
std::string Ok(std::string_view text);
// "-ERR text\r\n", or "-ERR [CODE] text\r\n" (RFC 2449 §8, RFC 3206: AUTH, SYS/TEMP,
// SYS/PERM, IN-USE, LOGIN-DELAY) when `code` is not empty.
std::string Err(std::string_view text);
std::string Err(std::string_view code, std::string_view text);

// Appends `body` as the data of a multi-line response and the terminating ".\r\n":
// every line ends in CRLF whatever the stored message uses (a bare LF becomes CRLF, a
// CR not followed by LF is kept as data), a line starting with "." gets one more "."
// (RFC 1939 §3), and a last line without an ending gets CRLF before the terminator.
void AppendMultiline(std::string* out, std::string_view body);

// The octets AppendMultiline sends for `body` before byte-stuffing: its size with
// every line ending made CRLF. RFC 1939 sizes (STAT, LIST, RETR) count these.
uint64_t CrlfSize(std::string_view body);

// TOP msg n (RFC 1939 §7): the header, the blank line after it, and the first `lines`
// lines of the body, as a prefix of `message`. A message without a blank line is all
// header.
std::string_view TopOfMessage(std::string_view message, uint32_t lines);

}  // namespace mail::pop3

#endif  // MAILSUITE_SERVICES_LIBS_POP3_RESPONSE_H_
