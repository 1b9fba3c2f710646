// Corpus test: every tests/data/mime/NAME.eml against NAME.expected, which holds the
// ENVELOPE, BODYSTRUCTURE and BODY lines FETCH would send (CRLF inside literals
// written as {CRLF}). MAILSUITE_UPDATE_GOLDEN=1 rewrites the .expected files; review
// the diff before keeping it.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "services/libs/mail/bodystructure.h"
#include "tests/unit/libs/mail/imap_list_check.h"

namespace mail::mime {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Render(const MessageStructure& s) {
  auto line = [](const std::string& v) { return absl::StrReplaceAll(v, {{"\r\n", "{CRLF}"}}); };
  return "ENVELOPE " + line(s.envelope) + "\nBODYSTRUCTURE " + line(s.bodystructure) + "\nBODY " +
         line(s.body) + "\n";
}

TEST_CASE("mime corpus: ENVELOPE, BODYSTRUCTURE and BODY match the .expected files") {
  const std::filesystem::path dir = "tests/data/mime";
  REQUIRE(std::filesystem::is_directory(dir));
  const bool update = std::getenv("MAILSUITE_UPDATE_GOLDEN") != nullptr;
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".eml") continue;
    ++count;
    std::filesystem::path expected_path = entry.path();
    expected_path.replace_extension(".expected");
    MessageStructure s = ComputeStructure(ReadFile(entry.path()));
    INFO(entry.path().string());
    CHECK(testing::IsWellFormedImapList(s.envelope));
    CHECK(testing::IsWellFormedImapList(s.bodystructure));
    CHECK(testing::IsWellFormedImapList(s.body));
    std::string got = Render(s);
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << got;
      continue;
    }
    INFO(entry.path().string());
    REQUIRE(std::filesystem::exists(expected_path));
    CHECK(got == ReadFile(expected_path));
  }
  CHECK(count >= 15);
}

}  // namespace
}  // namespace mail::mime
