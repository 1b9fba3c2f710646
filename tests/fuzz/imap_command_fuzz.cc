// Fuzzes what imap-access does with client input before any backend call: the command
// parser (lines and the literals they announce, fed as the session feeds them), and on
// each parsed command the argument parsers: sequence sets, FETCH items, SEARCH
// criteria (rev1 and rev2), LIST-EXTENDED commands, modified UTF-7 names, APPEND
// date-times, LIST patterns. Checks the invariants the session relies on (literal
// sizes within limits, round trips).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "services/libs/imap/date_time.h"
#include "services/libs/imap/fetch_attributes.h"
#include "services/libs/imap/list_command.h"
#include "services/libs/imap/list_pattern.h"
#include "services/libs/imap/mutf7.h"
#include "services/libs/imap/parser.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/search.h"
#include "services/libs/imap/sequence_set.h"

namespace {

void CheckArgs(const std::vector<mail::imap::Arg>& args) {
  for (const mail::imap::Arg& a : args) {
    absl::StatusOr<std::string> decoded = mail::imap::DecodeMutf7(a.value);
    if (decoded.ok()) {
      // What we encode decodes back to the same UTF-8.
      absl::StatusOr<std::string> again =
          mail::imap::DecodeMutf7(mail::imap::EncodeMutf7(*decoded));
      if (!again.ok()) std::abort();
    }
    (void)mail::imap::ParseDateTime(a.value);
    (void)mail::imap::ParseDate(a.value);
    absl::StatusOr<mail::imap::SequenceSet> set =
        mail::imap::SequenceSet::Parse(a.value, /*allow_saved=*/true);
    if (set.ok()) {
      (void)set->Contains(1, 100);
      (void)set->Resolve(7);
    }
    (void)mail::imap::ParseFetchAttributes(a);
    (void)mail::imap::ListPatternMatches(a.value, "INBOX/a/b");
    std::string out;
    mail::imap::AppendAstring(&out, a.value);
    if (a.IsList()) CheckArgs(a.list);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  mail::imap::ParserLimits limits;
  limits.max_line = 4096;
  limits.max_literal = 8192;
  limits.max_command = 16384;
  mail::imap::CommandParser parser(limits);
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    mail::imap::ParseStatus status = parser.AddLine(line);
    while (status == mail::imap::ParseStatus::kNeedLiteral) {
      size_t n = parser.literal_size();
      if (n > limits.max_literal) std::abort();  // the parser refuses those itself
      std::string literal(input.substr(std::min(pos, input.size()), n));
      literal.resize(n, 'x');
      pos += n;
      parser.AddLiteral(std::move(literal));
      end = input.find('\n', std::min(pos, input.size()));
      if (end == std::string_view::npos) end = input.size();
      std::string_view rest = pos < input.size() ? input.substr(pos, end - pos) : "";
      if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
      pos = end + 1;
      status = parser.AddLine(rest);
    }
    if (status == mail::imap::ParseStatus::kComplete) {
      mail::imap::Command cmd = parser.TakeCommand();
      CheckArgs(cmd.args);
      for (bool rev2 : {false, true}) {
        (void)mail::imap::ParseSearch(cmd.args, rev2);
        if (cmd.args.size() > 1)
          (void)mail::imap::ParseSearch({cmd.args.begin() + 1, cmd.args.end()}, rev2);
        (void)mail::imap::ParseListCommand(cmd.args, rev2);
      }
    } else if (status == mail::imap::ParseStatus::kError && parser.error().fatal) {
      break;
    }
  }
  // The whole input as a name.
  (void)mail::imap::DecodeMutf7(input);
  (void)mail::imap::EncodeMutf7(input);
  return 0;
}
