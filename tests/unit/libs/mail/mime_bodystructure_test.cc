#include <catch2/catch.hpp>

#include "absl/strings/str_replace.h"
#include "services/libs/mail/bodystructure.h"
#include "tests/unit/libs/mail/imap_list_check.h"

namespace mail::mime {
namespace {

// Dovecot's own test (src/lib-imap/test-imap-bodystructure.c): with CRLF line ends
// our octet counts equal Dovecot's virtual sizes, so the output must be identical.
const char kDovecotMessage[] =
    "From: user@domain.org\n"
    "Date: Sat, 24 Mar 2007 23:00:00 +0200\n"
    "Mime-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"foo\n"
    " bar\"\n"
    "\n"
    "Root MIME prologue\n"
    "\n"
    "--foo bar\n"
    "Content-Type: text/x-myown; charset=us-ascii; foo=\"quoted\\\"string\"\n"
    "Content-ID: <foo@example.com>\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
    "Content-Disposition: inline; foo=bar\n"
    "Content-Description: hellodescription\n"
    "Content-Language: en, fi, se\n"
    "Content-Location: http://example.com/test.txt\n"
    "\n"
    "hello\n"
    "\n"
    "--foo bar\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: sub@domain.org\n"
    "To: sub-to1@domain.org, sub-to2@domain.org\n"
    "Date: Sun, 12 Aug 2012 12:34:56 +0300\n"
    "Subject: submsg\n"
    "Content-Type: multipart/alternative; boundary=\"sub1\"\n"
    "\n"
    "Sub MIME prologue\n"
    "--sub1\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "<p>Hello world</p>\n"
    "\n"
    "--sub1\n"
    "Content-Type: text/plain\n"
    "Content-Transfer-Encoding: ?invalid\n"
    "\n"
    "Hello another world\n"
    "\n"
    "--sub1--\n"
    "Sub MIME epilogue\n"
    "\n"
    "--foo bar--\n"
    "Root MIME epilogue\n";

const char kDovecotBodyStructure[] =
    "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\" \"foo\" \"quoted\\\"string\") "
    "\"<foo@example.com>\" \"hellodescription\" \"7bit\" 7 1 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
    "(\"inline\" (\"foo\" \"bar\")) (\"en\" \"fi\" \"se\") \"http://example.com/test.txt\")"
    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 412 (\"Sun, 12 Aug 2012 12:34:56 +0300\" "
    "\"submsg\" ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL "
    "\"sub\" \"domain.org\")) ((NIL NIL \"sub-to1\" \"domain.org\")(NIL NIL \"sub-to2\" "
    "\"domain.org\")) NIL NIL NIL NIL) ((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL "
    "\"8bit\" 20 1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
    "21 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"sub1\") NIL NIL NIL) 21 NIL NIL NIL "
    "NIL) \"mixed\" (\"boundary\" \"foo bar\") NIL NIL NIL";

const char kDovecotBody[] =
    "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\" \"foo\" \"quoted\\\"string\") "
    "\"<foo@example.com>\" \"hellodescription\" \"7bit\" 7 1)(\"message\" \"rfc822\" NIL NIL NIL "
    "\"7bit\" 412 (\"Sun, 12 Aug 2012 12:34:56 +0300\" \"submsg\" ((NIL NIL \"sub\" "
    "\"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) ((NIL "
    "NIL \"sub-to1\" \"domain.org\")(NIL NIL \"sub-to2\" \"domain.org\")) NIL NIL NIL NIL) "
    "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"8bit\" 20 1)(\"text\" \"plain\" "
    "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 21 1) \"alternative\") 21) \"mixed\"";

TEST_CASE("mime bodystructure: identical to Dovecot on Dovecot's test message") {
  std::string raw = absl::StrReplaceAll(kDovecotMessage, {{"\n", "\r\n"}});
  MessageStructure s = ComputeStructure(raw);
  // Dovecot stores the list without its outer parentheses; we store what FETCH sends.
  CHECK(s.bodystructure == std::string("(") + kDovecotBodyStructure + ")");
  CHECK(s.body == std::string("(") + kDovecotBody + ")");
  CHECK(s.envelope ==
        "(\"Sat, 24 Mar 2007 23:00:00 +0200\" NIL ((NIL NIL \"user\" \"domain.org\")) ((NIL NIL "
        "\"user\" \"domain.org\")) ((NIL NIL \"user\" \"domain.org\")) NIL NIL NIL NIL NIL)");
}

TEST_CASE("mime bodystructure: defaults for a message without MIME headers") {
  MessageStructure s = ComputeStructure("Subject: x\r\n\r\nline 1\r\nline 2\r\n");
  CHECK(s.bodystructure ==
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 16 2 NIL NIL NIL NIL)");
  CHECK(s.body == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 16 2)");
}

TEST_CASE("mime bodystructure: an empty multipart gets one empty text part") {
  MessageStructure s =
      ComputeStructure("Content-Type: multipart/mixed; boundary=x\r\n\r\nnothing here\r\n");
  CHECK(s.body ==
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")");
}

TEST_CASE("mime bodystructure: the list checker used by the corpus and fuzz tests") {
  using testing::IsWellFormedImapList;
  CHECK(IsWellFormedImapList("(\"a\\\"\" NIL 12 (\"x\")(\"y\") {3}\r\nab\xC3)"));
  CHECK_FALSE(IsWellFormedImapList("(\"a)"));
  CHECK_FALSE(IsWellFormedImapList("(a b"));
  CHECK_FALSE(IsWellFormedImapList("(NIL  NIL)"));
  CHECK_FALSE(IsWellFormedImapList("(\"\xC3\xA9\")"));
  CHECK_FALSE(IsWellFormedImapList("({5}\r\nab)"));
  CHECK_FALSE(IsWellFormedImapList("(NIL)x"));
}

TEST_CASE("mime bodystructure: empty input and garbage never fail") {
  CHECK(!ComputeStructure("").bodystructure.empty());
  CHECK(!ComputeStructure("\r\n\r\n--\r\n").parts.empty());
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  CHECK(!ComputeStructure(junk).envelope.empty());
}

}  // namespace
}  // namespace mail::mime
