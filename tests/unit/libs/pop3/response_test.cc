// Tests for POP3 responses and byte-stuffing (services/libs/pop3/response.h).
#include "services/libs/pop3/response.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail::pop3 {
namespace {

std::string Multiline(std::string_view body) {
  std::string out;
  AppendMultiline(&out, body);
  return out;
}

TEST_CASE("pop3 response: status lines with and without response codes") {
  CHECK(Ok("") == "+OK\r\n");
  CHECK(Ok("2 320") == "+OK 2 320\r\n");
  CHECK(Err("no such message") == "-ERR no such message\r\n");
  CHECK(Err("SYS/TEMP", "try later") == "-ERR [SYS/TEMP] try later\r\n");
  CHECK(Err("", "plain") == "-ERR plain\r\n");
  CHECK(Ok("a\r\nb") == "+OK a  b\r\n");  // a reply can never become two lines
}

TEST_CASE("pop3 response: byte-stuffs lines starting with a dot") {
  CHECK(Multiline("a\r\n.b\r\n..c\r\n.\r\n") == "a\r\n..b\r\n...c\r\n..\r\n.\r\n");
  CHECK(Multiline(".") == "..\r\n.\r\n");
}

TEST_CASE("pop3 response: bare LF becomes CRLF, a missing last ending is added") {
  CHECK(Multiline("a\nb\n") == "a\r\nb\r\n.\r\n");
  CHECK(Multiline("a\r\nb") == "a\r\nb\r\n.\r\n");
  CHECK(Multiline("a\rb\n") == "a\rb\r\n.\r\n");
  CHECK(Multiline("") == ".\r\n");
  CHECK(Multiline("\n\n") == "\r\n\r\n.\r\n");
}

TEST_CASE("pop3 response: CrlfSize counts the octets sent before stuffing") {
  CHECK(CrlfSize("a\r\nb\r\n") == 6);
  CHECK(CrlfSize("a\nb\n") == 6);
  CHECK(CrlfSize("a\nb") == 6);
  CHECK(CrlfSize("") == 0);
}

TEST_CASE("pop3 response: TOP returns the header, blank line and n body lines") {
  const std::string msg = "Subject: x\r\nFrom: a\r\n\r\nline1\r\nline2\r\nline3\r\n";
  CHECK(TopOfMessage(msg, 0) == "Subject: x\r\nFrom: a\r\n\r\n");
  CHECK(TopOfMessage(msg, 2) == "Subject: x\r\nFrom: a\r\n\r\nline1\r\nline2\r\n");
  CHECK(TopOfMessage(msg, 99) == msg);
  CHECK(TopOfMessage("Subject: x\nno blank line\n", 1) == "Subject: x\nno blank line\n");
  CHECK(TopOfMessage("A: b\n\nx\ny\n", 1) == "A: b\n\nx\n");
  CHECK(TopOfMessage("A: b\r\n\r\nlast", 5) == "A: b\r\n\r\nlast");
}

}  // namespace
}  // namespace mail::pop3
