// FETCH data item parsing; see fetch_attributes.h.
#include "services/libs/imap/fetch_attributes.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mail::imap {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
namespace {

// Header field names in HEADER.FIELDS: RFC 5322 ftext is printable ASCII but ":".
constexpr size_t kMaxFields = 256;

absl::Status Bad(std::string_view text) { return absl::InvalidArgumentError(std::string(text)); }

bool ParseNumber(std::string_view text, uint32_t* value, bool nonzero) {
  if (text.empty() || text.size() > 10) return false;
  if (nonzero && text[0] == '0') return false;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > UINT32_MAX) return false;
  *value = static_cast<uint32_t>(n);
  return true;
}

// header-list = "(" header-fld-name *(SP header-fld-name) ")"; names are astrings,
// and atoms in practice. Quoted names are accepted without escapes.
absl::Status ParseHeaderList(std::string_view text, std::vector<std::string>* fields) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    return Bad("Invalid header field list");
  }
  text = text.substr(1, text.size() - 2);
  for (absl::string_view name : absl::StrSplit(Av(text), ' ')) {
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    if (name.empty()) return Bad("Invalid header field list");
    for (char c : name) {
      if (c <= 0x20 || c >= 0x7f || c == ':' || c == '"') return Bad("Invalid header field name");
    }
    if (fields->size() == kMaxFields) return Bad("Too many header fields");
    fields->push_back(absl::AsciiStrToUpper(name));
  }
  return absl::OkStatus();
}

absl::Status ParseSection(std::string_view spec, Section* section) {
  // section-part: nz-number *("." nz-number), then optionally "." section-text.
  while (!spec.empty() && absl::ascii_isdigit(static_cast<unsigned char>(spec[0]))) {
    size_t end = 0;
    while (end < spec.size() && absl::ascii_isdigit(static_cast<unsigned char>(spec[end]))) ++end;
    uint32_t n;
    if (!ParseNumber(spec.substr(0, end), &n, true)) return Bad("Invalid section part");
    if (section->part.size() == 32) return Bad("Section part nested too deeply");
    section->part.push_back(n);
    spec.remove_prefix(end);
    if (spec.empty()) return absl::OkStatus();
    if (spec[0] != '.') return Bad("Invalid section");
    spec.remove_prefix(1);
    if (spec.empty()) return Bad("Invalid section");
  }
  if (spec.empty()) return absl::OkStatus();
  size_t space = spec.find(' ');
  std::string keyword = absl::AsciiStrToUpper(Av(spec.substr(0, space)));
  std::string_view rest = space == std::string_view::npos ? "" : spec.substr(space + 1);
  if (keyword == "HEADER" || keyword == "TEXT" || keyword == "MIME") {
    if (space != std::string_view::npos) return Bad("Invalid section");
    if (keyword == "MIME" && section->part.empty()) return Bad("MIME needs a part number");
    section->text = keyword == "HEADER" ? Section::Text::kHeader
                    : keyword == "TEXT" ? Section::Text::kText
                                        : Section::Text::kMime;
    return absl::OkStatus();
  }
  if (keyword == "HEADER.FIELDS" || keyword == "HEADER.FIELDS.NOT") {
    section->text =
        keyword == "HEADER.FIELDS" ? Section::Text::kHeaderFields : Section::Text::kHeaderFieldsNot;
    return ParseHeaderList(rest, &section->fields);
  }
  return Bad("Invalid section");
}

}  // namespace

std::string Section::ToString() const {
  std::string out = absl::StrJoin(part, ".");
  const char* name = nullptr;
  switch (text) {
    case Text::kAll:
      return out;
    case Text::kHeader:
      name = "HEADER";
      break;
    case Text::kHeaderFields:
      name = "HEADER.FIELDS";
      break;
    case Text::kHeaderFieldsNot:
      name = "HEADER.FIELDS.NOT";
      break;
    case Text::kText:
      name = "TEXT";
      break;
    case Text::kMime:
      name = "MIME";
      break;
  }
  if (!out.empty()) out.push_back('.');
  out.append(name);
  if (text == Text::kHeaderFields || text == Text::kHeaderFieldsNot) {
    absl::StrAppend(&out, " (", absl::StrJoin(fields, " "), ")");
  }
  return out;
}

std::string FetchAttribute::ResponseName() const {
  switch (kind) {
    case Kind::kFlags:
      return "FLAGS";
    case Kind::kUid:
      return "UID";
    case Kind::kInternalDate:
      return "INTERNALDATE";
    case Kind::kRfc822Size:
      return "RFC822.SIZE";
    case Kind::kEnvelope:
      return "ENVELOPE";
    case Kind::kBodyStructure:
      return "BODYSTRUCTURE";
    case Kind::kBody:
      return "BODY";
    case Kind::kRfc822:
      return "RFC822";
    case Kind::kRfc822Header:
      return "RFC822.HEADER";
    case Kind::kRfc822Text:
      return "RFC822.TEXT";
    case Kind::kBinarySize:
      return absl::StrCat("BINARY.SIZE[", section.ToString(), "]");
    case Kind::kBodySection:
    case Kind::kBinary:
      break;
  }
  // RFC 3501 §7.4.2: BODY[<section>]<<origin octet>>, PEEK dropped, count dropped.
  std::string out =
      absl::StrCat(kind == Kind::kBinary ? "BINARY[" : "BODY[", section.ToString(), "]");
  if (partial_offset) absl::StrAppend(&out, "<", *partial_offset, ">");
  return out;
}

bool FetchAttribute::NeedsBody() const {
  return kind == Kind::kBodySection || kind == Kind::kRfc822 || kind == Kind::kRfc822Header ||
         kind == Kind::kRfc822Text || kind == Kind::kBinary || kind == Kind::kBinarySize;
}

bool FetchAttribute::SetsSeen() const {
  return ((kind == Kind::kBodySection || kind == Kind::kBinary) && !peek) ||
         kind == Kind::kRfc822 || kind == Kind::kRfc822Text;
}

absl::StatusOr<FetchAttribute> ParseFetchAttribute(std::string_view item) {
  FetchAttribute attr;
  size_t bracket = item.find('[');
  std::string name = absl::AsciiStrToUpper(Av(item.substr(0, bracket)));
  using Kind = FetchAttribute::Kind;
  if (bracket == std::string_view::npos) {
    static constexpr std::pair<std::string_view, Kind> kSimple[] = {
        {"FLAGS", Kind::kFlags},
        {"UID", Kind::kUid},
        {"INTERNALDATE", Kind::kInternalDate},
        {"RFC822.SIZE", Kind::kRfc822Size},
        {"ENVELOPE", Kind::kEnvelope},
        {"BODYSTRUCTURE", Kind::kBodyStructure},
        {"BODY", Kind::kBody},
        {"RFC822", Kind::kRfc822},
        {"RFC822.HEADER", Kind::kRfc822Header},
        {"RFC822.TEXT", Kind::kRfc822Text},
    };
    for (const auto& [n, kind] : kSimple) {
      if (name == n) {
        attr.kind = kind;
        return attr;
      }
    }
    return Bad(absl::StrCat("Unknown FETCH item ", Av(item.substr(0, 64))));
  }
  attr.kind = Kind::kBodySection;
  if (name == "BODY.PEEK" || name == "BINARY.PEEK") attr.peek = true;
  if (name == "BINARY" || name == "BINARY.PEEK") {
    attr.kind = Kind::kBinary;
  } else if (name == "BINARY.SIZE") {
    attr.kind = Kind::kBinarySize;
  } else if (name != "BODY" && name != "BODY.PEEK") {
    return Bad(absl::StrCat("Unknown FETCH item ", Av(item.substr(0, 64))));
  }
  size_t close = item.find(']', bracket);
  if (close == std::string_view::npos) return Bad("Missing ] in FETCH item");
  absl::Status status = ParseSection(item.substr(bracket + 1, close - bracket - 1), &attr.section);
  if (!status.ok()) return status;
  // RFC 3516 §4.2: section-binary = "[" [section-part] "]", part numbers only.
  if (attr.kind != Kind::kBodySection && attr.section.text != Section::Text::kAll) {
    return Bad("BINARY takes part numbers only");
  }
  std::string_view partial = item.substr(close + 1);
  if (partial.empty()) return attr;
  if (attr.kind == Kind::kBinarySize) return Bad("BINARY.SIZE takes no partial range");
  // "<" number "." nz-number ">"
  if (partial.size() < 5 || partial.front() != '<' || partial.back() != '>') {
    return Bad("Invalid partial range");
  }
  partial = partial.substr(1, partial.size() - 2);
  size_t dot = partial.find('.');
  uint32_t offset, count;
  if (dot == std::string_view::npos || !ParseNumber(partial.substr(0, dot), &offset, false) ||
      !ParseNumber(partial.substr(dot + 1), &count, true)) {
    return Bad("Invalid partial range");
  }
  attr.partial_offset = offset;
  attr.partial_count = count;
  return attr;
}

absl::StatusOr<std::vector<FetchAttribute>> ParseFetchAttributes(const Arg& items) {
  std::vector<FetchAttribute> out;
  if (items.IsAtom()) {
    std::string macro = absl::AsciiStrToUpper(items.value);
    // RFC 3501 §6.4.5 macros; valid only on their own, not inside a list.
    std::vector<std::string_view> expanded;
    if (macro == "ALL") {
      expanded = {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"};
    } else if (macro == "FAST") {
      expanded = {"FLAGS", "INTERNALDATE", "RFC822.SIZE"};
    } else if (macro == "FULL") {
      expanded = {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"};
    }
    if (!expanded.empty()) {
      for (std::string_view item : expanded) out.push_back(*ParseFetchAttribute(item));
      return out;
    }
    absl::StatusOr<FetchAttribute> attr = ParseFetchAttribute(items.value);
    if (!attr.ok()) return attr.status();
    out.push_back(*std::move(attr));
    return out;
  }
  if (!items.IsList() || items.list.empty()) return Bad("Invalid FETCH items");
  for (const Arg& item : items.list) {
    if (!item.IsAtom()) return Bad("Invalid FETCH item");
    absl::StatusOr<FetchAttribute> attr = ParseFetchAttribute(item.value);
    if (!attr.ok()) return attr.status();
    out.push_back(*std::move(attr));
  }
  return out;
}

}  // namespace mail::imap
