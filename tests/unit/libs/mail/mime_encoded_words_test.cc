#include <catch2/catch.hpp>

#include "services/libs/mail/encoded_words.h"

namespace mail::mime {
namespace {

TEST_CASE("mime encoded words: Q and B in UTF-8, ISO-8859-1 and ISO-2022-JP") {
  CHECK(DecodeEncodedWords("=?UTF-8?Q?Caf=C3=A9_au_lait?=") == "Caf\xC3\xA9 au lait");
  CHECK(DecodeEncodedWords("=?ISO-8859-1?Q?Andr=E9?= Pirard") == "Andr\xC3\xA9 Pirard");
  CHECK(DecodeEncodedWords("=?UTF-8?B?SsO8cmdlbg==?=") == "J\xC3\xBCrgen");
  CHECK(DecodeEncodedWords("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=") ==
        "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");  // テスト
}

TEST_CASE("mime encoded words: white space between adjacent words is dropped") {
  CHECK(DecodeEncodedWords("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab");
  CHECK(DecodeEncodedWords("=?utf-8?q?a?= x =?utf-8?q?b?=") == "a x b");
  // A character split across two words still decodes.
  CHECK(DecodeEncodedWords("=?UTF-8?B?w6k=?=") == "\xC3\xA9");
  CHECK(DecodeEncodedWords("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=") == "\xC3\xA9");
}

TEST_CASE("mime encoded words: malformed words and unknown charsets") {
  CHECK(DecodeEncodedWords("=?utf-8?x?abc?=") == "=?utf-8?x?abc?=");
  CHECK(DecodeEncodedWords("=?utf-8?q?unterminated") == "=?utf-8?q?unterminated");
  CHECK(DecodeEncodedWords("plain text") == "plain text");
  CHECK(DecodeEncodedWords("=?x-unknown?q?abc?=") == "abc");
  CHECK(DecodeEncodedWords("caf\xE9") == "caf\xC3\xA9");  // raw Latin-1
  CHECK(DecodeEncodedWords("=?utf-8*en?q?hi?=") == "hi");
}

TEST_CASE("mime encoded words: base64 and quoted-printable bodies") {
  CHECK(DecodeBase64("aGVs\r\nbG8=") == "hello");
  CHECK(DecodeBase64("aGVsbG8") == "hello");
  CHECK(DecodeQuotedPrintable("a=3Db=\r\nc", false) == "a=bc");
  CHECK(DecodeQuotedPrintable("a_b", true) == "a b");
}

}  // namespace
}  // namespace mail::mime
