#include "services/libs/mail/header.h"

#include <catch2/catch.hpp>

namespace mail {
namespace {

TEST_CASE("header: finds fields case-insensitively, only in the header section") {
  std::string msg =
      "Subject: x\r\nmessage-id: <a@b>\r\n\tDate: folded, not a field\r\n\r\nDate: body\r\n";
  CHECK(HasHeaderField(msg, "Message-ID"));
  CHECK(HasHeaderField(msg, "subject"));
  CHECK_FALSE(HasHeaderField(msg, "Date"));
  CHECK_FALSE(HasHeaderField(msg, "Subj"));
  CHECK(HeaderSectionLength(msg) == msg.find("Date: body"));
}

TEST_CASE("header: messages without a body or without a header") {
  CHECK(HasHeaderField("Date: now\r\n", "Date"));
  CHECK(HeaderSectionLength("\r\nbody\r\n") == 2);
  CHECK_FALSE(HasHeaderField("\r\nDate: body\r\n", "Date"));
  CHECK_FALSE(HasHeaderField("", "Date"));
}

}  // namespace
}  // namespace mail
