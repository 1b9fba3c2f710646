#include "services/libs/smtp/reply.h"

#include <catch2/catch.hpp>

namespace mail::smtp {
namespace {

TEST_CASE("reply: single line with enhanced code") {
  CHECK(Reply::Make(250, "2.1.0", "Ok").ToString() == "250 2.1.0 Ok\r\n");
  CHECK(Reply::Make(354, "", "End data with <CR><LF>.<CR><LF>").ToString() ==
        "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST_CASE("reply: multi-line uses dashes except on the last line") {
  Reply r = Reply::Make(250, "", "mx.test");
  r.AddLine("PIPELINING").AddLine("SIZE 1000");
  CHECK(r.ToString() == "250-mx.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
}

TEST_CASE("reply: CR and LF in text cannot inject lines") {
  CHECK(Reply::Make(550, "5.1.1", "a\r\n250 b").ToString() == "550 5.1.1 a  250 b\r\n");
}

TEST_CASE("reply: classes") {
  CHECK(Reply::Make(250, "", "x").positive());
  CHECK(Reply::Make(451, "", "x").transient());
  CHECK(Reply::Make(550, "", "x").permanent());
}

}  // namespace
}  // namespace mail::smtp

namespace mail::smtp {
namespace {

TEST_CASE("reply: an empty SASL challenge keeps its space") {
  CHECK(Reply::Make(334, "", "").ToString() == "334 \r\n");
  CHECK(Reply::Make(250, "2.0.0", "").ToString() == "250 2.0.0\r\n");
}

}  // namespace
}  // namespace mail::smtp
