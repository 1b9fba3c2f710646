#include "services/libs/base/log.h"

#include <catch2/catch.hpp>

namespace mail::base {
namespace {

std::string Escaped(std::string_view in) {
  std::string out;
  AppendJsonEscaped(out, in);
  return out;
}

TEST_CASE("log: JSON escaping keeps quotes, backslashes and control bytes inside the string") {
  CHECK(Escaped("plain") == "plain");
  CHECK(Escaped("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(Escaped("line\r\nnext\t") == "line\\r\\nnext\\t");
  CHECK(Escaped(std::string_view("\0\x1f\x7f", 3)) == "\\u0000\\u001f\\u007f");
}

TEST_CASE("log: valid UTF-8 passes through, invalid bytes are escaped") {
  CHECK(Escaped("日本語") == "日本語");
  CHECK(Escaped("\xff\xfe") == "\\u00ff\\u00fe");
  CHECK(Escaped("\xe6\x97") == "\\u00e6\\u0097");  // truncated sequence
}

TEST_CASE("log: level names parse") {
  LogLevel level;
  REQUIRE(ParseLogLevel("warning", &level));
  CHECK(level == LogLevel::kWarning);
  CHECK_FALSE(ParseLogLevel("loud", &level));
}

}  // namespace
}  // namespace mail::base
