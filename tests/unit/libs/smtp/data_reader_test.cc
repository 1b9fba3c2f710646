#include "services/libs/smtp/data_reader.h"

#include <catch2/catch.hpp>

namespace mail::smtp {
namespace {

using State = DataReader::State;

TEST_CASE("data_reader: end marker and dot-unstuffing") {
  DataReader r(1000);
  CHECK(r.AddLine("Subject: x", true) == State::kMore);
  CHECK(r.AddLine("", true) == State::kMore);
  CHECK(r.AddLine("..leading dot", true) == State::kMore);
  CHECK(r.AddLine("...", true) == State::kMore);
  CHECK(r.AddLine(".", true) == State::kDone);
  CHECK(r.done());
  CHECK(r.body() == "Subject: x\r\n\r\n.leading dot\r\n..\r\n");
  CHECK(r.AddLine("after", true) == State::kDone);
}

TEST_CASE("data_reader: empty message") {
  DataReader r(1000);
  CHECK(r.AddLine(".", true) == State::kDone);
  CHECK(r.body().empty());
}

TEST_CASE("data_reader: bare LF lines are stored with CRLF") {
  DataReader r(1000);
  r.AddLine("a", false);
  r.AddLine("b", true);
  CHECK(r.AddLine(".", true) == State::kDone);
  CHECK(r.body() == "a\r\nb\r\n");
  CHECK(r.saw_bare_lf());
}

TEST_CASE("data_reader: end marker needs CRLF on both sides (smuggling)") {
  DataReader r(1000);
  r.AddLine("a", false);                         // "a\n"
  CHECK(r.AddLine(".", true) == State::kMore);   // "\n.\r\n" is not the end
  CHECK(r.AddLine(".", false) == State::kMore);  // ".\n" is not the end
  CHECK(r.AddLine("b", true) == State::kMore);
  CHECK(r.AddLine(".", true) == State::kDone);
  CHECK(r.body() == "a\r\n.\r\n.\r\nb\r\n");
}

TEST_CASE("data_reader: size limit counts stored octets and keeps nothing past it") {
  DataReader r(10);
  r.AddLine("12345678", true);  // 10 octets with CRLF: fits exactly
  CHECK_FALSE(r.too_large());
  CHECK(r.MaxNextLine() == 2);
  r.AddLine("x", true);
  CHECK(r.too_large());
  CHECK(r.body().empty());
  CHECK(r.MaxNextLine() == 998);
  CHECK(r.AddLine("more", true) == State::kMore);
  CHECK(r.AddLine(".", true) == State::kDone);
  CHECK(r.received() == 19);
}

TEST_CASE("data_reader: a skipped over-long line marks the message too large") {
  DataReader r(100);
  r.AddSkippedLine();
  CHECK(r.too_large());
  CHECK(r.AddLine(".", true) == State::kDone);
}

}  // namespace
}  // namespace mail::smtp
