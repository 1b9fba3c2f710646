// Tests for the IMAP command parser (services/libs/imap/parser.h).
#include "services/libs/imap/parser.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail::imap {
namespace {

Command ParseOne(std::string_view line) {
  CommandParser parser;
  REQUIRE(parser.AddLine(line) == ParseStatus::kComplete);
  return parser.TakeCommand();
}

ParseError ParseBad(std::string_view line, ParserLimits limits = {}) {
  CommandParser parser(limits);
  REQUIRE(parser.AddLine(line) == ParseStatus::kError);
  return parser.error();
}

TEST_CASE("imap parser: tag, upper-cased name, atoms and quoted strings") {
  Command cmd = ParseOne(R"(a1 login alice@example.test "p w\"\\")");
  CHECK(cmd.tag == "a1");
  CHECK(cmd.name == "LOGIN");
  CHECK_FALSE(cmd.uid);
  REQUIRE(cmd.args.size() == 2);
  CHECK(cmd.args[0].IsAtom());
  CHECK(cmd.args[0].value == "alice@example.test");
  CHECK(cmd.args[1].type == Arg::Type::kQuoted);
  CHECK(cmd.args[1].value == "p w\"\\");
}

TEST_CASE("imap parser: no arguments, NIL, empty quoted string") {
  CHECK(ParseOne("x CAPABILITY").args.empty());
  Command cmd = ParseOne(R"(t LIST "" *)");
  REQUIRE(cmd.args.size() == 2);
  CHECK(cmd.args[0].IsString());
  CHECK(cmd.args[0].value.empty());
  CHECK(cmd.args[1].value == "*");
  CHECK(ParseOne("t X nil").args[0].IsNil());
}

TEST_CASE("imap parser: UID prefix selects the UID form") {
  Command cmd = ParseOne("A005 UID FETCH 1 BODY[]");
  CHECK(cmd.name == "FETCH");
  CHECK(cmd.uid);
  REQUIRE(cmd.args.size() == 2);
  CHECK(cmd.args[0].value == "1");
  CHECK(cmd.args[1].value == "BODY[]");
}

TEST_CASE("imap parser: nested lists and section atoms with spaces") {
  Command cmd =
      ParseOne("t FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100> (a (b)) ())");
  REQUIRE(cmd.args.size() == 2);
  CHECK(cmd.args[0].value == "1:*");
  const Arg& list = cmd.args[1];
  REQUIRE(list.IsList());
  REQUIRE(list.list.size() == 4);
  CHECK(list.list[0].value == "FLAGS");
  CHECK(list.list[1].value == "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>");
  REQUIRE(list.list[2].IsList());
  CHECK(list.list[2].list[1].list[0].value == "b");
  CHECK(list.list[3].IsList());
  CHECK(list.list[3].list.empty());
}

TEST_CASE("imap parser: synchronizing literal then the rest of the command") {
  CommandParser parser;
  REQUIRE(parser.AddLine("a LOGIN {5}") == ParseStatus::kNeedLiteral);
  CHECK(parser.literal_size() == 5);
  CHECK(parser.literal_sync());
  CHECK(parser.tag() == "a");
  parser.AddLiteral("al\r\nx");
  REQUIRE(parser.AddLine(" {2+}") == ParseStatus::kNeedLiteral);
  CHECK_FALSE(parser.literal_sync());
  parser.AddLiteral("pw");
  REQUIRE(parser.AddLine("") == ParseStatus::kComplete);
  Command cmd = parser.TakeCommand();
  REQUIRE(cmd.args.size() == 2);
  CHECK(cmd.args[0].type == Arg::Type::kLiteral);
  CHECK(cmd.args[0].value == "al\r\nx");
  CHECK(cmd.args[1].value == "pw");
  // The parser is ready for the next command.
  REQUIRE(parser.AddLine("b NOOP") == ParseStatus::kComplete);
  CHECK(parser.TakeCommand().tag == "b");
}

TEST_CASE("imap parser: a literal inside a list closes on the next line") {
  CommandParser parser;
  REQUIRE(parser.AddLine("a X ({3}") == ParseStatus::kNeedLiteral);
  parser.AddLiteral("abc");
  REQUIRE(parser.AddLine(" d)") == ParseStatus::kComplete);
  Command cmd = parser.TakeCommand();
  REQUIRE(cmd.args.size() == 1);
  REQUIRE(cmd.args[0].list.size() == 2);
  CHECK(cmd.args[0].list[0].value == "abc");
  CHECK(cmd.args[0].list[1].value == "d");
}

TEST_CASE("imap parser: literal8 is marked binary") {
  CommandParser parser;
  REQUIRE(parser.AddLine("a APPEND INBOX ~{3}") == ParseStatus::kNeedLiteral);
  parser.AddLiteral(std::string("a\0b", 3));
  REQUIRE(parser.AddLine("") == ParseStatus::kComplete);
  Command cmd = parser.TakeCommand();
  CHECK(cmd.args[1].binary);
  CHECK(cmd.args[1].value.size() == 3);
}

TEST_CASE("imap parser: malformed commands are BAD with the tag when known") {
  CHECK(ParseBad("").tag.empty());
  CHECK(ParseBad("+a NOOP").tag.empty());
  CHECK(ParseBad("a*b NOOP").tag.empty());
  CHECK(ParseBad("a").text == "Missing command");
  CHECK(ParseBad("a ").tag == "a");
  CHECK(ParseBad("a NO(OP").tag == "a");
  CHECK(ParseBad("a LOGIN \"x").text == "Unterminated quoted string");
  CHECK(ParseBad("a LOGIN \"x\\n\"").text == "Invalid escape in quoted string");
  CHECK(ParseBad("a X (a b").text == "Unterminated parenthesised list");
  CHECK(ParseBad("a X a)").text == "Unexpected )");
  CHECK(ParseBad("a X a  b").text == "Unexpected space");
  CHECK(ParseBad("a X a ").text == "Trailing space");
  CHECK(ParseBad("a X \"a\"b").text == "Missing space between arguments");
  CHECK(ParseBad("a X {5} x").text == "Literal announcement must end the line");
  CHECK(ParseBad("a X {}").text == "Invalid literal size");
  CHECK(ParseBad("a X {99999999999}").text == "Invalid literal size");
  CHECK(ParseBad("a X BODY[HEADER").text == "Unterminated [");
  CHECK(ParseBad("a X caf\xc3\xa9").text == "Invalid characters in atom");
  CHECK(ParseBad("a X \x01").text == "Invalid characters in arguments");
  CHECK_FALSE(ParseBad("a X (").fatal);
}

TEST_CASE("imap parser: limits on line, literal, depth and argument count") {
  ParserLimits limits;
  limits.max_line = 20;
  limits.max_literal = 10;
  limits.max_depth = 3;
  limits.max_args = 5;
  ParseError too_long = ParseBad("a NOOP " + std::string(20, 'x'), limits);
  CHECK(too_long.code == "TOOBIG");
  CHECK(too_long.fatal);

  ParseError big_sync = ParseBad("a X {11}", limits);
  CHECK(big_sync.code == "TOOBIG");
  CHECK(big_sync.tag == "a");
  CHECK_FALSE(big_sync.fatal);  // the client waits for "+" and sends nothing
  ParseError big_nonsync = ParseBad("a X {11+}", limits);
  CHECK(big_nonsync.fatal);  // the octets are on their way: close

  CHECK(ParseBad("a X ((((x))))", limits).text == "Lists nested too deeply");
  CHECK(ParseBad("a X 1 2 3 4 5 6", limits).text == "Too many arguments");

  // A refused line that announced a non-synchronizing literal cannot be resynced.
  CHECK(ParseBad("a X \"unterminated {3+}").fatal);
}

TEST_CASE("imap parser: the total size of a command is bounded across literals") {
  ParserLimits limits;
  limits.max_literal = 100;
  limits.max_command = 150;
  CommandParser parser(limits);
  REQUIRE(parser.AddLine("a X {100}") == ParseStatus::kNeedLiteral);
  parser.AddLiteral(std::string(100, 'x'));
  REQUIRE(parser.AddLine(" {40}") == ParseStatus::kError);
  CHECK(parser.error().code == "TOOBIG");
}

}  // namespace
}  // namespace mail::imap
