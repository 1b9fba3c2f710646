// Modified UTF-7 mailbox names (RFC 3501 §5.1.3).
#include "services/libs/imap/mutf7.h"

#include <catch2/catch.hpp>

namespace mail::imap {
namespace {

TEST_CASE("imap mutf7: ASCII passes through, & becomes &-") {
  CHECK(EncodeMutf7("INBOX/Sent Items") == "INBOX/Sent Items");
  CHECK(EncodeMutf7("a&b") == "a&-b");
  CHECK(*DecodeMutf7("a&-b") == "a&b");
}

TEST_CASE("imap mutf7: RFC 3501 examples round-trip") {
  // "~peter/mail/台北/日本語" from RFC 3501 §5.1.3.
  const std::string utf8 =
      "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";
  CHECK(EncodeMutf7(utf8) == "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  CHECK(*DecodeMutf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-") == utf8);
  CHECK(EncodeMutf7("Entw\xC3\xBCrfe") == "Entw&APw-rfe");
  CHECK(*DecodeMutf7("Entw&APw-rfe") == "Entw\xC3\xBCrfe");
}

TEST_CASE("imap mutf7: characters outside the BMP use surrogate pairs") {
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600
  std::string encoded = EncodeMutf7(emoji);
  CHECK(encoded == "&2D3eAA-");
  CHECK(*DecodeMutf7(encoded) == emoji);
}

TEST_CASE("imap mutf7: malformed input is rejected") {
  CHECK_FALSE(DecodeMutf7("&Jjo").ok());   // unterminated
  CHECK_FALSE(DecodeMutf7("&Jj!-").ok());  // not base64
  CHECK_FALSE(DecodeMutf7("&AGE-").ok());  // encodes plain "a"
  CHECK_FALSE(DecodeMutf7("&2D0-").ok());  // lone high surrogate
  CHECK_FALSE(DecodeMutf7("&AOQ").ok());
  CHECK(DecodeMutf7("plain 8-bit \xC3\xA4").ok());  // UTF-8 sent anyway passes through
}

}  // namespace
}  // namespace mail::imap
