// MIME structure parsing; see mime.h. Behaviour on broken input follows Dovecot's
// lib-mail (the reference the IMAP tests compare with): a Content-Type without
// MIME-Version still counts, a multipart without a boundary is a single part, a
// missing close delimiter ends the last part at the end of its parent.
#include "services/libs/mail/mime.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "services/libs/mail/address.h"
#include "services/libs/mail/charset.h"
#include "services/libs/mail/encoded_words.h"
#include "services/libs/mail/rfc822_lexer.h"

namespace mail::mime {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// End of the line starting at `pos` (one past its LF, or `end`).
size_t LineEnd(std::string_view raw, size_t pos, size_t end) {
  const void* nl = std::memchr(raw.data() + pos, '\n', end - pos);
  return nl == nullptr ? end : static_cast<const char*>(nl) - raw.data() + 1;
}

// True when [pos, line_end) is an empty line (CRLF or LF).
bool IsBlankLine(std::string_view raw, size_t pos, size_t line_end) {
  size_t n = line_end - pos;
  return (n == 1 && raw[pos] == '\n') || (n == 2 && raw[pos] == '\r' && raw[pos + 1] == '\n');
}

Encoding EncodingOf(const std::optional<std::string>& cte) {
  if (!cte) return Encoding::k7bit;
  std::string e = AsciiLower(*cte);
  if (e == "7bit") return Encoding::k7bit;
  if (e == "8bit") return Encoding::k8bit;
  if (e == "binary") return Encoding::kBinary;
  if (e == "base64") return Encoding::kBase64;
  if (e == "quoted-printable") return Encoding::kQuotedPrintable;
  return Encoding::kOther;
}

// Content-Type "type/subtype; params" (Dovecot's parse_content_type): a value that
// does not parse keeps what was read of the type, and its parameters are ignored.
void ParseContentType(std::string_view value, Part* part) {
  Rfc822Lexer lex(value);
  lex.SkipCfws();
  std::string type, subtype;
  bool ok = lex.ReadToken(&type);
  lex.SkipCfws();
  if (ok && lex.Peek() == '/') {
    lex.Advance();
    lex.SkipCfws();
    ok = lex.ReadToken(&subtype);
  } else {
    ok = false;
  }
  part->has_content_type = true;
  part->type = std::move(type);
  part->subtype = std::move(subtype);
  if (!ok) {
    part->content_type_broken = true;
    return;
  }
  part->params = ParseParams(lex.rest());
}

void ParseDisposition(std::string_view value, Part* part) {
  Rfc822Lexer lex(value);
  lex.SkipCfws();
  std::string token;
  if (!lex.ReadToken(&token)) return;
  part->disposition = std::move(token);
  part->disposition_params = ParseParams(lex.rest());
}

void ParseLanguage(std::string_view value, Part* part) {
  Rfc822Lexer lex(value);
  lex.SkipCfws();
  while (true) {
    std::string atom;
    if (!lex.ReadAtom(&atom)) break;
    part->languages.push_back(std::move(atom));
    lex.SkipCfws();
    if (lex.Peek() != ',') break;
    lex.Advance();
    lex.SkipCfws();
  }
}

// Content-Transfer-Encoding: one token and nothing after it, else ignored.
std::optional<std::string> ParseTransferEncoding(std::string_view value) {
  Rfc822Lexer lex(value);
  lex.SkipCfws();
  std::string token;
  if (!lex.ReadToken(&token)) return std::nullopt;
  if (lex.SkipCfws()) return std::nullopt;
  return token;
}

void ApplyContentField(const HeaderField& f, Part* part) {
  std::string_view name = f.name;
  if (!StartsWithIgnoreCase(name, "Content-")) return;
  name.remove_prefix(8);
  // The first of each field counts (Dovecot's parse_content_header).
  if (EqualsIgnoreCase(name, "Type")) {
    if (!part->has_content_type) ParseContentType(f.value, part);
  } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
    if (!part->transfer_encoding) part->transfer_encoding = ParseTransferEncoding(f.value);
  } else if (EqualsIgnoreCase(name, "ID")) {
    if (!part->id) part->id = f.value;
  } else if (EqualsIgnoreCase(name, "Description")) {
    if (!part->description) part->description = f.value;
  } else if (EqualsIgnoreCase(name, "MD5")) {
    if (!part->md5) part->md5 = f.value;
  } else if (EqualsIgnoreCase(name, "Location")) {
    if (!part->location) part->location = f.value;
  } else if (EqualsIgnoreCase(name, "Language")) {
    if (part->languages.empty()) ParseLanguage(f.value, part);
  } else if (EqualsIgnoreCase(name, "Disposition")) {
    if (!part->disposition) ParseDisposition(f.value, part);
  }
}

class Parser {
 public:
  Parser(std::string_view raw, const Limits& limits) : raw_(raw), limits_(limits) {}

  Message Run() {
    ParsePart(0, raw_.size(), -1, 0, false);
    return std::move(msg_);
  }

 private:
  int ParsePart(size_t begin, size_t end, int parent, int depth, bool digest_child) {
    const int idx = static_cast<int>(msg_.parts.size());
    msg_.parts.emplace_back();
    {
      Part& p = msg_.parts.back();
      p.parent = parent;
      p.depth = depth;
      p.header_begin = begin;
    }
    // The header: up to the blank line, or the end of the part, or the size limit
    // (then the rest is body).
    size_t pos = begin;
    size_t body_begin = end;
    while (pos < end) {
      if (pos - begin > limits_.max_header) {
        msg_.limits_hit = true;
        body_begin = pos;
        break;
      }
      size_t le = LineEnd(raw_, pos, end);
      if (IsBlankLine(raw_, pos, le)) {
        body_begin = le;
        break;
      }
      pos = le;
    }
    const bool parent_multipart = parent >= 0 && msg_.parts[parent].kind == PartKind::kMultipart;
    std::vector<HeaderField> fields = ParseHeader(raw_.substr(begin, body_begin - begin));
    Part& p = msg_.parts[idx];
    p.body_begin = body_begin;
    p.body_end = end;
    // Content-* fields count only in MIME parts: with MIME-Version or Content-Type,
    // or inside a multipart (Dovecot's MESSAGE_PART_FLAG_IS_MIME, non-strict).
    bool is_mime = parent_multipart;
    for (const HeaderField& f : fields) {
      if (EqualsIgnoreCase(f.name, "MIME-Version") || EqualsIgnoreCase(f.name, "Content-Type")) {
        is_mime = true;
      }
    }
    if (is_mime) {
      for (const HeaderField& f : fields) ApplyContentField(f, &p);
    }
    p.encoding = EncodingOf(p.transfer_encoding);
    if (p.has_content_type) {
      p.effective_type = AsciiLower(p.type);
      p.effective_subtype = AsciiLower(p.subtype);
    } else if (digest_child) {
      p.effective_type = "message";
      p.effective_subtype = "rfc822";
    } else {
      p.effective_type = "text";
      p.effective_subtype = "plain";
    }
    const bool can_nest = depth < limits_.max_depth;
    if (p.effective_type == "multipart") {
      std::optional<std::string> boundary = GetRawParam(p.params, "boundary");
      if (boundary && !boundary->empty() && can_nest) {
        p.kind = PartKind::kMultipart;
        ParseMultipart(idx, *boundary, p.effective_subtype == "digest");
        return idx;
      }
      if (!can_nest) msg_.limits_hit = true;
    } else if (p.effective_type == "message" && p.effective_subtype == "rfc822") {
      if (can_nest && msg_.parts.size() < limits_.max_parts) {
        p.kind = PartKind::kMessage;
        p.lines = CountLines(body_begin, end);
        int child = ParsePart(body_begin, end, idx, depth + 1, false);
        msg_.parts[idx].children.push_back(child);
        return idx;
      }
      msg_.limits_hit = true;
    }
    p.lines = CountLines(body_begin, end);
    return idx;
  }

  // Splits the body of parts[idx] at its delimiter lines (RFC 2046 §5.1.1). The CRLF
  // before a delimiter belongs to the delimiter. Boundaries of enclosing multiparts
  // cannot occur inside: the enclosing scan already ended this part at the first one.
  void ParseMultipart(int idx, const std::string& boundary, bool digest) {
    const size_t begin = msg_.parts[idx].body_begin;
    const size_t end = msg_.parts[idx].body_end;
    const int depth = msg_.parts[idx].depth;
    size_t pos = begin;
    size_t child_begin = std::string_view::npos;
    while (pos < end) {
      size_t le = LineEnd(raw_, pos, end);
      bool close = false;
      if (IsDelimiter(pos, le, boundary, &close)) {
        if (child_begin != std::string_view::npos) {
          size_t child_end = pos;
          if (child_end > child_begin && raw_[child_end - 1] == '\n') --child_end;
          if (child_end > child_begin && raw_[child_end - 1] == '\r') --child_end;
          if (!AddChild(idx, child_begin, child_end, depth, digest)) return;
        }
        if (close) return;
        child_begin = le;
      }
      pos = le;
    }
    if (child_begin != std::string_view::npos) AddChild(idx, child_begin, end, depth, digest);
  }

  bool AddChild(int idx, size_t begin, size_t end, int depth, bool digest) {
    if (msg_.parts.size() >= limits_.max_parts) {
      msg_.limits_hit = true;
      return false;
    }
    int child = ParsePart(begin, end, idx, depth + 1, digest);
    msg_.parts[idx].children.push_back(child);
    return true;
  }

  // "--boundary" then only blanks (a delimiter) or "--" (the close delimiter).
  bool IsDelimiter(size_t pos, size_t line_end, const std::string& boundary, bool* close) const {
    size_t n = line_end - pos;
    if (n < boundary.size() + 2 || raw_[pos] != '-' || raw_[pos + 1] != '-') return false;
    if (raw_.compare(pos + 2, boundary.size(), boundary) != 0) return false;
    size_t after = pos + 2 + boundary.size();
    if (line_end - after >= 2 && raw_[after] == '-' && raw_[after + 1] == '-') {
      *close = true;
      return true;
    }
    for (size_t i = after; i < line_end; ++i) {
      char c = raw_[i];
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    }
    *close = false;
    return true;
  }

  uint32_t CountLines(size_t begin, size_t end) const {
    return static_cast<uint32_t>(std::count(raw_.begin() + begin, raw_.begin() + end, '\n'));
  }

  static std::optional<std::string> GetRawParam(const std::vector<Param>& params,
                                                std::string_view name) {
    for (const Param& p : params) {
      if (EqualsIgnoreCase(p.name, name)) return p.value;
    }
    return std::nullopt;
  }

  std::string_view raw_;
  const Limits& limits_;
  Message msg_;
};

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view data, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= data.size()) return false;
    uint8_t b = static_cast<uint8_t>(data[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

constexpr uint8_t kPartTableVersion = 1;

}  // namespace

std::vector<HeaderField> ParseHeader(std::string_view header) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  HeaderField* current = nullptr;
  while (pos < header.size()) {
    size_t le = LineEnd(header, pos, header.size());
    std::string_view line = header.substr(pos, le - pos);
    pos = le;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) break;  // the blank line ending the header
    if (line[0] == ' ' || line[0] == '\t') {
      // A continuation line: unfolding removes only the line break (RFC 5322 §2.2.3).
      if (current != nullptr) {
        if (current->value.empty()) {
          size_t ws = line.find_first_not_of(" \t");
          if (ws != std::string_view::npos) current->value.append(line.substr(ws));
        } else {
          current->value.append(line);
        }
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      current = nullptr;
      continue;
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    std::string_view value = line.substr(colon + 1);
    size_t ws = value.find_first_not_of(" \t");
    value = ws == std::string_view::npos ? std::string_view() : value.substr(ws);
    fields.push_back({std::string(name), std::string(value)});
    current = &fields.back();
  }
  // Bare CRs inside a value would break the IMAP strings built from it.
  for (HeaderField& f : fields) {
    f.value.erase(std::remove(f.value.begin(), f.value.end(), '\r'), f.value.end());
  }
  return fields;
}

const HeaderField* FindField(const std::vector<HeaderField>& fields, std::string_view name,
                             bool last) {
  const HeaderField* found = nullptr;
  for (const HeaderField& f : fields) {
    if (EqualsIgnoreCase(f.name, name)) {
      found = &f;
      if (!last) break;
    }
  }
  return found;
}

std::vector<Param> ParseParams(std::string_view text) {
  struct Section {
    std::string key;  // without "*n*"
    unsigned idx;
    bool extended;
    std::string value;
    size_t order;
  };
  std::vector<Param> result;
  std::vector<Section> sections;
  Rfc822Lexer lex(text);
  while (true) {
    if (!lex.SkipCfws()) break;
    if (lex.Peek() != ';') {
      lex.Advance();  // broken: skip a character and try again (as Dovecot does)
      continue;
    }
    lex.Advance();
    if (!lex.SkipCfws()) break;
    std::string key;
    if (!lex.ReadToken(&key)) continue;
    lex.SkipCfws();
    if (lex.Peek() != '=') continue;
    lex.Advance();
    std::string value;
    if (lex.SkipCfws()) {
      if (lex.Peek() == '"') {
        lex.ReadQuotedString(&value);
      } else if (lex.Peek() == '=') {
        // Broken but common: name==?utf-8?b?...?= unquoted.
        while (!lex.AtEnd() && lex.Peek() != ';' && lex.Peek() != ' ' && lex.Peek() != '\t') {
          value.push_back(lex.Peek());
          lex.Advance();
        }
      } else {
        lex.ReadToken(&value);
      }
    }
    size_t star = key.find('*');
    if (star != std::string::npos) {
      Section s{key.substr(0, star), 0, false, value, sections.size()};
      size_t p = star + 1;
      bool valid = true;
      if (p < key.size()) {
        if (key[p] >= '0' && key[p] <= '9') {
          while (p < key.size() && key[p] >= '0' && key[p] <= '9') {
            s.idx = s.idx * 10 + static_cast<unsigned>(key[p] - '0');
            if (s.idx > 100000) valid = false;
            ++p;
          }
        }
        if (p < key.size() && key[p] == '*') {
          s.extended = true;
          ++p;
        }
        if (p != key.size()) valid = false;
      } else {
        s.extended = true;  // "name*": a single extended value
      }
      if (valid) {
        sections.push_back(std::move(s));
        continue;
      }
    }
    result.push_back({std::move(key), std::move(value)});
  }
  if (sections.empty()) return result;
  // Merge name*0, name*1*, ... (RFC 2231 §3, §4.1), sorted by name then index.
  std::stable_sort(sections.begin(), sections.end(), [](const Section& a, const Section& b) {
    std::string la = AsciiLower(a.key), lb = AsciiLower(b.key);
    if (la != lb) return la < lb;
    return a.idx < b.idx;
  });
  for (size_t i = 0, next; i < sections.size(); i = next) {
    bool ok = true, have_extended = false;
    unsigned expect = 0;
    std::string lkey = AsciiLower(sections[i].key);
    for (next = i; next < sections.size() && AsciiLower(sections[next].key) == lkey; ++next) {
      if (sections[next].idx != expect) ok = false;
      if (sections[next].extended) have_extended = true;
      ++expect;
    }
    if (!ok) {
      for (size_t j = i; j < next; ++j) {
        result.push_back(
            {absl::StrCat(sections[j].key, "*", sections[j].idx, sections[j].extended ? "*" : ""),
             sections[j].value});
      }
      continue;
    }
    std::string value;
    if (!sections[i].extended && have_extended) value = "''";
    for (size_t j = i; j < next; ++j) {
      if (!sections[j].extended && have_extended) {
        // A plain section in an extended value: escape '%' so decoding gives it back.
        for (char c : sections[j].value) {
          if (c == '%') {
            value += "%25";
          } else {
            value.push_back(c);
          }
        }
      } else {
        value += sections[j].value;
      }
    }
    result.push_back({have_extended ? sections[i].key + "*" : sections[i].key, value});
  }
  return result;
}

std::optional<std::string> GetParam(const std::vector<Param>& params, std::string_view name) {
  for (const Param& p : params) {
    if (EqualsIgnoreCase(p.name, name)) return p.value;
  }
  for (const Param& p : params) {
    if (p.name.size() != name.size() + 1 || p.name.back() != '*' ||
        !EqualsIgnoreCase(std::string_view(p.name).substr(0, name.size()), name)) {
      continue;
    }
    // charset'language'percent-encoded (RFC 2231 §4).
    size_t q1 = p.value.find('\'');
    size_t q2 = q1 == std::string::npos ? std::string::npos : p.value.find('\'', q1 + 1);
    if (q2 == std::string::npos) return p.value;
    std::string octets;
    for (size_t i = q2 + 1; i < p.value.size(); ++i) {
      auto hex = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
      };
      if (p.value[i] == '%' && i + 2 < p.value.size() && hex(p.value[i + 1]) >= 0 &&
          hex(p.value[i + 2]) >= 0) {
        octets.push_back(static_cast<char>(hex(p.value[i + 1]) * 16 + hex(p.value[i + 2])));
        i += 2;
      } else {
        octets.push_back(p.value[i]);
      }
    }
    std::string out;
    AppendUtf8(p.value.substr(0, q1), octets, &out);
    return out;
  }
  return std::nullopt;
}

Message Parse(std::string_view raw, const Limits& limits) { return Parser(raw, limits).Run(); }

std::string DecodeContent(std::string_view body, Encoding encoding) {
  switch (encoding) {
    case Encoding::kBase64:
      return DecodeBase64(body);
    case Encoding::kQuotedPrintable:
      return DecodeQuotedPrintable(body, false);
    default:
      return std::string(body);
  }
}

std::string SearchableText(std::string_view raw, const Message& message) {
  std::string out;
  for (const Part& p : message.parts) {
    if (p.kind != PartKind::kLeaf || p.effective_type != "text") continue;
    if (p.disposition && AsciiLower(*p.disposition) == "attachment") continue;
    std::string content = DecodeContent(raw.substr(p.body_begin, p.body_size()), p.encoding);
    std::optional<std::string> charset = GetParam(p.params, "charset");
    if (!out.empty()) out.push_back('\n');
    AppendUtf8(charset ? *charset : "us-ascii", content, &out);
  }
  return out;
}

// ---- part table ------------------------------------------------------------------------

PartTable ToPartTable(const Message& message) {
  PartTable table;
  table.parts.reserve(message.parts.size());
  for (const Part& p : message.parts) {
    PartOffsets o;
    o.kind = p.kind;
    o.encoding = p.encoding;
    o.header_begin = p.header_begin;
    o.body_begin = p.body_begin;
    o.body_end = p.body_end;
    o.lines = p.lines;
    for (int c : p.children) o.children.push_back(static_cast<uint32_t>(c));
    table.parts.push_back(std::move(o));
  }
  return table;
}

std::string EncodePartTable(const PartTable& table) {
  std::string out;
  out.push_back(static_cast<char>(kPartTableVersion));
  AppendVarint(table.parts.size(), &out);
  std::vector<uint64_t> parent(table.parts.size(), 0);
  for (size_t i = 0; i < table.parts.size(); ++i) {
    for (uint32_t c : table.parts[i].children) {
      if (c < parent.size()) parent[c] = i + 1;
    }
  }
  for (size_t i = 0; i < table.parts.size(); ++i) {
    const PartOffsets& p = table.parts[i];
    out.push_back(static_cast<char>(p.kind));
    out.push_back(static_cast<char>(p.encoding));
    AppendVarint(parent[i], &out);
    AppendVarint(p.header_begin, &out);
    AppendVarint(p.body_begin - p.header_begin, &out);
    AppendVarint(p.body_end - p.body_begin, &out);
    AppendVarint(p.lines, &out);
  }
  return out;
}

absl::StatusOr<PartTable> DecodePartTable(std::string_view data) {
  auto bad = [] { return absl::DataLossError("malformed part table"); };
  if (data.empty() || static_cast<uint8_t>(data[0]) != kPartTableVersion) return bad();
  size_t pos = 1;
  uint64_t count;
  if (!ReadVarint(data, &pos, &count) || count == 0 || count > data.size()) return bad();
  PartTable table;
  table.parts.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (pos + 2 > data.size()) return bad();
    PartOffsets& p = table.parts[i];
    uint8_t kind = static_cast<uint8_t>(data[pos++]);
    uint8_t enc = static_cast<uint8_t>(data[pos++]);
    if (kind > 2 || enc > static_cast<uint8_t>(Encoding::kOther)) return bad();
    p.kind = static_cast<PartKind>(kind);
    p.encoding = static_cast<Encoding>(enc);
    uint64_t parent, hb, hl, bl, lines;
    if (!ReadVarint(data, &pos, &parent) || !ReadVarint(data, &pos, &hb) ||
        !ReadVarint(data, &pos, &hl) || !ReadVarint(data, &pos, &bl) ||
        !ReadVarint(data, &pos, &lines)) {
      return bad();
    }
    if ((i == 0) != (parent == 0) || parent > i) return bad();
    p.header_begin = hb;
    p.body_begin = hb + hl;
    p.body_end = p.body_begin + bl;
    p.lines = static_cast<uint32_t>(lines);
    if (parent > 0) table.parts[parent - 1].children.push_back(static_cast<uint32_t>(i));
  }
  if (pos != data.size()) return bad();
  return table;
}

std::optional<SectionRange> ResolveSection(const PartTable& table,
                                           const std::vector<uint32_t>& section) {
  if (table.parts.empty()) return std::nullopt;
  auto child = [&](uint32_t idx, uint32_t n) -> std::optional<uint32_t> {
    const PartOffsets& p = table.parts[idx];
    if (n == 0) return std::nullopt;
    if (p.kind == PartKind::kMultipart) {
      if (n > p.children.size()) return std::nullopt;
      return p.children[n - 1];
    }
    if (n == 1) return idx;
    return std::nullopt;
  };
  uint32_t cur = 0;
  for (size_t i = 0; i < section.size(); ++i) {
    // A message (the root, or inside message/rfc822) numbers the parts of its body.
    uint32_t base = cur;
    if (i > 0 && table.parts[cur].kind == PartKind::kMessage) {
      if (table.parts[cur].children.empty()) return std::nullopt;
      base = table.parts[cur].children[0];
    } else if (i > 0 && table.parts[cur].kind == PartKind::kLeaf) {
      if (section[i] != 1) return std::nullopt;
      continue;
    }
    std::optional<uint32_t> next = child(base, section[i]);
    if (!next || *next >= table.parts.size()) return std::nullopt;
    cur = *next;
  }
  const PartOffsets& p = table.parts[cur];
  SectionRange r;
  r.kind = p.kind;
  r.encoding = p.encoding;
  r.header_begin = p.header_begin;
  r.header_end = p.body_begin;
  r.body_begin = p.body_begin;
  r.body_end = p.body_end;
  if (section.empty()) {
    r.is_message = true;
    r.message_header_begin = p.header_begin;
    r.message_header_end = p.body_begin;
    r.message_text_begin = p.body_begin;
    r.message_text_end = p.body_end;
  } else if (p.kind == PartKind::kMessage && !p.children.empty()) {
    const PartOffsets& e = table.parts[p.children[0]];
    r.is_message = true;
    r.message_header_begin = e.header_begin;
    r.message_header_end = e.body_begin;
    r.message_text_begin = e.body_begin;
    r.message_text_end = e.body_end;
  }
  return r;
}

}  // namespace mail::mime
