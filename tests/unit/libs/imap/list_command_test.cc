// LIST-EXTENDED arguments (RFC 5258), LIST-STATUS (RFC 5819) and STATUS items.
#include "services/libs/imap/list_command.h"

#include <catch2/catch.hpp>

#include "services/libs/imap/parser.h"

namespace mail::imap {
namespace {

std::vector<Arg> Args(const std::string& line) {
  CommandParser parser;
  REQUIRE(parser.AddLine("t LIST " + line) == ParseStatus::kComplete);
  return parser.TakeCommand().args;
}

absl::StatusOr<ListCommand> Parse(const std::string& line, bool rev2 = false) {
  return ParseListCommand(Args(line), rev2);
}

TEST_CASE("imap list command: the RFC 3501 form is not extended") {
  auto list = Parse("\"\" *");
  REQUIRE(list.ok());
  CHECK_FALSE(list->extended);
  CHECK(list->reference.empty());
  CHECK(list->patterns == std::vector<std::string>{"*"});
  CHECK_FALSE(list->return_subscribed);
  CHECK_FALSE(list->return_status);
}

TEST_CASE("imap list command: selection options imply their return options") {
  auto list = Parse("(subscribed RECURSIVEMATCH Remote) \"Work/\" %");
  REQUIRE(list.ok());
  CHECK(list->extended);
  CHECK(list->select_subscribed);
  CHECK(list->select_recursive);
  CHECK(list->select_remote);
  CHECK(list->return_subscribed);
  CHECK(list->reference == "Work/");
  list = Parse("(SPECIAL-USE) \"\" *");
  REQUIRE(list.ok());
  CHECK(list->select_special_use);
  CHECK(list->return_special_use);
  // An empty selection list is valid (RFC 5258 §6 grammar).
  list = Parse("() \"\" *");
  REQUIRE(list.ok());
  CHECK(list->extended);
}

TEST_CASE("imap list command: several patterns and return options") {
  CommandParser parser;
  REQUIRE(parser.AddLine("t LIST \"\" (INBOX \"Sent\" Wo*) RETURN (CHILDREN SUBSCRIBED "
                         "SPECIAL-USE STATUS (MESSAGES unseen SIZE DELETED))") ==
          ParseStatus::kComplete);
  auto list = ParseListCommand(parser.TakeCommand().args, false);
  REQUIRE(list.ok());
  CHECK(list->extended);
  CHECK(list->patterns == std::vector<std::string>{"INBOX", "Sent", "Wo*"});
  CHECK(list->return_children);
  CHECK(list->return_subscribed);
  CHECK(list->return_special_use);
  CHECK(list->return_status);
  CHECK(list->status_items == std::vector<std::string>{"MESSAGES", "UNSEEN", "SIZE", "DELETED"});
  // An empty RETURN list is valid too.
  list = Parse("\"\" * RETURN ()");
  REQUIRE(list.ok());
  CHECK(list->extended);
}

TEST_CASE("imap list command: malformed or unknown options are BAD") {
  for (const char* line :
       {"(RECURSIVEMATCH) \"\" *", "(REMOTE RECURSIVEMATCH) \"\" *", "(BOGUS) \"\" *",
        "\"\" * RETURN (BOGUS)", "\"\" * RETURN", "\"\" * RETURN CHILDREN", "\"\" * EXTRA ()",
        "\"\" ()", "\"\"", "(SUBSCRIBED)", "\"\" * RETURN (STATUS)", "\"\" * RETURN (STATUS ())",
        "\"\" * RETURN (STATUS (BOGUS))", "\"\" * RETURN (STATUS (MESSAGES) STATUS (UNSEEN))",
        "((SUBSCRIBED)) \"\" *"}) {
    INFO(line);
    auto list = Parse(line);
    REQUIRE_FALSE(list.ok());
    CHECK(list.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("imap list command: STATUS items per revision") {
  CommandParser parser;
  REQUIRE(parser.AddLine("t STATUS INBOX (messages RECENT uidnext)") == ParseStatus::kComplete);
  Command cmd = parser.TakeCommand();
  auto items = ParseStatusItems(cmd.args[1], false);
  REQUIRE(items.ok());
  CHECK(*items == std::vector<std::string>{"MESSAGES", "RECENT", "UIDNEXT"});
  // RFC 9051 Appendix E: no STATUS RECENT in IMAP4rev2.
  CHECK_FALSE(ParseStatusItems(cmd.args[1], true).ok());
  CHECK_FALSE(ParseStatusItems(cmd.args[0], false).ok());  // not a list
}

}  // namespace
}  // namespace mail::imap
