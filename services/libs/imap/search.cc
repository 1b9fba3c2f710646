// SEARCH criteria; see search.h.
#include "services/libs/imap/search.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "services/libs/imap/date_time.h"
#include "services/libs/mail/search_headers.h"

namespace mail::imap {
namespace {

using Kind = SearchKey::Kind;

// Nesting of parentheses, OR and NOT; hostile input cannot recurse deeper.
constexpr int kMaxDepth = 32;

class Parser {
 public:
  Parser(const std::vector<Arg>& args, bool imap4rev2) : args_(args), imap4rev2_(imap4rev2) {}

  absl::Status ParseAll(size_t start, SearchKey* root) {
    pos_ = start;
    root->kind = Kind::kAnd;
    if (pos_ >= args_.size()) return absl::InvalidArgumentError("SEARCH needs a criterion");
    while (pos_ < args_.size()) {
      SearchKey key;
      absl::Status st = ParseKey(args_, &pos_, &key, 0);
      if (!st.ok()) return st;
      root->children.push_back(std::move(key));
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status Bad(std::string why) { return absl::InvalidArgumentError(why); }

  static absl::StatusOr<std::string> String(const std::vector<Arg>& args, size_t* pos,
                                            const std::string& key) {
    if (*pos >= args.size() || !args[*pos].IsAstring()) {
      return absl::InvalidArgumentError(key + " needs a string");
    }
    return args[(*pos)++].value;
  }

  absl::Status ParseKey(const std::vector<Arg>& args, size_t* pos, SearchKey* key, int depth) {
    if (depth > kMaxDepth) return Bad("SEARCH criteria nested too deeply");
    const Arg& arg = args[(*pos)++];
    if (arg.IsList()) {
      key->kind = Kind::kAnd;
      if (arg.list.empty()) return Bad("empty parenthesised SEARCH criteria");
      size_t inner = 0;
      while (inner < arg.list.size()) {
        SearchKey child;
        absl::Status st = ParseKey(arg.list, &inner, &child, depth + 1);
        if (!st.ok()) return st;
        key->children.push_back(std::move(child));
      }
      return absl::OkStatus();
    }
    if (!arg.IsAtom()) return Bad("SEARCH criteria must be atoms");
    const std::string name = absl::AsciiStrToUpper(arg.value);
    auto flag = [&](Kind kind, const char* f) {
      key->kind = kind;
      key->text = f;
      return absl::OkStatus();
    };
    if (name == "ALL") return flag(Kind::kAll, "");
    if (name == "ANSWERED") return flag(Kind::kFlag, "\\Answered");
    if (name == "UNANSWERED") return flag(Kind::kNoFlag, "\\Answered");
    if (name == "DELETED") return flag(Kind::kFlag, "\\Deleted");
    if (name == "UNDELETED") return flag(Kind::kNoFlag, "\\Deleted");
    if (name == "DRAFT") return flag(Kind::kFlag, "\\Draft");
    if (name == "UNDRAFT") return flag(Kind::kNoFlag, "\\Draft");
    if (name == "FLAGGED") return flag(Kind::kFlag, "\\Flagged");
    if (name == "UNFLAGGED") return flag(Kind::kNoFlag, "\\Flagged");
    if (name == "SEEN") return flag(Kind::kFlag, "\\Seen");
    if (name == "UNSEEN") return flag(Kind::kNoFlag, "\\Seen");
    if (imap4rev2_ && (name == "RECENT" || name == "NEW" || name == "OLD")) {
      // RFC 9051 Appendix E: \Recent and its keys are gone from IMAP4rev2.
      return Bad(name + " is not a SEARCH key in IMAP4rev2");
    }
    if (name == "RECENT") return flag(Kind::kFlag, "\\Recent");
    if (name == "OLD") return flag(Kind::kNoFlag, "\\Recent");
    if (name == "NEW") {
      key->kind = Kind::kAnd;
      SearchKey recent, unseen;
      recent.kind = Kind::kFlag;
      recent.text = "\\Recent";
      unseen.kind = Kind::kNoFlag;
      unseen.text = "\\Seen";
      key->children = {recent, unseen};
      return absl::OkStatus();
    }
    if (name == "KEYWORD" || name == "UNKEYWORD") {
      if (*pos >= args.size() || !args[*pos].IsAtom()) return Bad(name + " needs a flag");
      key->kind = name == "KEYWORD" ? Kind::kFlag : Kind::kNoFlag;
      key->text = args[(*pos)++].value;
      return absl::OkStatus();
    }
    if (name == "LARGER" || name == "SMALLER") {
      uint64_t n = 0;
      if (*pos >= args.size() || !args[*pos].IsAtom() || !absl::SimpleAtoi(args[*pos].value, &n)) {
        return Bad(name + " needs a number");
      }
      ++*pos;
      key->kind = name == "LARGER" ? Kind::kLarger : Kind::kSmaller;
      key->number = static_cast<int64_t>(std::min<uint64_t>(n, uint64_t{1} << 62));
      return absl::OkStatus();
    }
    static const std::pair<const char*, Kind> kDates[] = {
        {"BEFORE", Kind::kBefore}, {"ON", Kind::kOn},
        {"SINCE", Kind::kSince},   {"SENTBEFORE", Kind::kSentBefore},
        {"SENTON", Kind::kSentOn}, {"SENTSINCE", Kind::kSentSince}};
    for (const auto& [word, kind] : kDates) {
      if (name != word) continue;
      absl::StatusOr<std::string> text = String(args, pos, name);
      if (!text.ok()) return text.status();
      absl::StatusOr<int64_t> days = ParseDate(*text);
      if (!days.ok()) return days.status();
      key->kind = kind;
      key->number = *days;
      return absl::OkStatus();
    }
    static const char* const kHeaders[] = {"FROM", "TO", "CC", "BCC", "SUBJECT"};
    for (const char* h : kHeaders) {
      if (name != h) continue;
      absl::StatusOr<std::string> text = String(args, pos, name);
      if (!text.ok()) return text.status();
      key->kind = Kind::kHeader;
      key->field = h;
      key->text = *text;
      return absl::OkStatus();
    }
    if (name == "HEADER") {
      absl::StatusOr<std::string> field = String(args, pos, name);
      if (!field.ok()) return field.status();
      absl::StatusOr<std::string> text = String(args, pos, name);
      if (!text.ok()) return text.status();
      key->kind = Kind::kHeader;
      key->field = absl::AsciiStrToUpper(*field);
      key->text = *text;
      return absl::OkStatus();
    }
    if (name == "BODY" || name == "TEXT") {
      absl::StatusOr<std::string> text = String(args, pos, name);
      if (!text.ok()) return text.status();
      key->kind = name == "BODY" ? Kind::kBody : Kind::kText;
      key->text = *text;
      return absl::OkStatus();
    }
    if (name == "NOT" || name == "OR") {
      int operands = name == "NOT" ? 1 : 2;
      key->kind = name == "NOT" ? Kind::kNot : Kind::kOr;
      for (int i = 0; i < operands; ++i) {
        if (*pos >= args.size()) return Bad(name + " needs a criterion");
        SearchKey child;
        absl::Status st = ParseKey(args, pos, &child, depth + 1);
        if (!st.ok()) return st;
        key->children.push_back(std::move(child));
      }
      return absl::OkStatus();
    }
    if (name == "UID") {
      if (*pos >= args.size() || !args[*pos].IsAtom()) return Bad("UID needs a set");
      absl::StatusOr<SequenceSet> set = SequenceSet::Parse(args[(*pos)++].value, true);
      if (!set.ok()) return set.status();
      key->kind = Kind::kUid;
      key->set = *std::move(set);
      return absl::OkStatus();
    }
    // A sequence set on its own ("1:5", "*", "$").
    absl::StatusOr<SequenceSet> set = SequenceSet::Parse(arg.value, true);
    if (!set.ok()) return Bad("Unknown SEARCH criterion " + arg.value.substr(0, 40));
    key->kind = Kind::kSequence;
    key->set = *std::move(set);
    return absl::OkStatus();
  }

  const std::vector<Arg>& args_;
  const bool imap4rev2_;
  size_t pos_ = 0;
};

}  // namespace

bool SearchKey::NeedsBody(bool headers_answered) const {
  switch (kind) {
    case Kind::kHeader:
      return !headers_answered;
    case Kind::kSentBefore:
    case Kind::kSentOn:
    case Kind::kSentSince:
    case Kind::kBody:
    case Kind::kText:
      return true;
    default:
      break;
  }
  for (const SearchKey& c : children) {
    if (c.NeedsBody(headers_answered)) return true;
  }
  return false;
}

void SearchKey::CollectHeaderKeys(std::vector<const SearchKey*>* keys) const {
  if (kind == Kind::kHeader) keys->push_back(this);
  for (const SearchKey& c : children) c.CollectHeaderKeys(keys);
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  return mime::ContainsFolded(haystack, needle);
}

std::vector<uint32_t> SearchProgram::ResultToSave(const std::vector<uint32_t>& hits) const {
  if (return_all || return_count || (!return_min && !return_max) || hits.empty()) return hits;
  std::vector<uint32_t> saved;
  if (return_min) saved.push_back(hits.front());
  if (return_max && (saved.empty() || hits.back() != saved.back())) saved.push_back(hits.back());
  return saved;
}

bool AsksToSave(const std::vector<Arg>& args) {
  if (args.size() < 2 || !args[0].IsAtom() || !absl::EqualsIgnoreCase(args[0].value, "RETURN") ||
      !args[1].IsList()) {
    return false;
  }
  for (const Arg& opt : args[1].list) {
    if (opt.IsAtom() && absl::EqualsIgnoreCase(opt.value, "SAVE")) return true;
  }
  return false;
}

absl::StatusOr<SearchProgram> ParseSearch(const std::vector<Arg>& args, bool imap4rev2) {
  SearchProgram program;
  size_t pos = 0;
  if (pos < args.size() && args[pos].IsAtom() &&
      absl::EqualsIgnoreCase(args[pos].value, "RETURN")) {
    if (pos + 1 >= args.size() || !args[pos + 1].IsList()) {
      return absl::InvalidArgumentError("RETURN needs a list of options");
    }
    program.esearch = true;
    for (const Arg& opt : args[pos + 1].list) {
      std::string o = absl::AsciiStrToUpper(opt.value);
      if (!opt.IsAtom()) return absl::InvalidArgumentError("bad RETURN option");
      if (o == "MIN") {
        program.return_min = true;
      } else if (o == "MAX") {
        program.return_max = true;
      } else if (o == "COUNT") {
        program.return_count = true;
      } else if (o == "ALL") {
        program.return_all = true;
      } else if (o == "SAVE") {
        program.return_save = true;
      } else {
        return absl::InvalidArgumentError("unknown RETURN option " + o.substr(0, 40));
      }
    }
    // RFC 4731 §3.1: RETURN () means RETURN (ALL); RETURN (SAVE) returns nothing.
    if (!program.return_min && !program.return_max && !program.return_count &&
        !program.return_save) {
      program.return_all = true;
    }
    pos += 2;
  }
  if (pos < args.size() && args[pos].IsAtom() &&
      absl::EqualsIgnoreCase(args[pos].value, "CHARSET")) {
    if (pos + 1 >= args.size() || !args[pos + 1].IsAstring()) {
      return absl::InvalidArgumentError("CHARSET needs a name");
    }
    const std::string& cs = args[pos + 1].value;
    if (!absl::EqualsIgnoreCase(cs, "UTF-8") && !absl::EqualsIgnoreCase(cs, "US-ASCII")) {
      return absl::InvalidArgumentError("BADCHARSET");
    }
    pos += 2;
  }
  if (imap4rev2 && !program.esearch) {
    // RFC 9051 §6.4.4: ESEARCH is the only answer; no RETURN option means ALL.
    program.esearch = true;
    program.return_all = true;
  }
  Parser parser(args, imap4rev2);
  absl::Status st = parser.ParseAll(pos, &program.root);
  if (!st.ok()) return st;
  return program;
}

}  // namespace mail::imap
