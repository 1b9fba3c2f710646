// BODYSTRUCTURE writing; see bodystructure.h. Mirrors Dovecot's imap-bodystructure.c:
// text parts without a charset get ("charset" "us-ascii"), a missing type is
// "text" "plain", a missing encoding "7bit", and a multipart without parts carries
// one empty text/plain part, so the output always satisfies the RFC 3501 grammar.
#include "services/libs/mail/bodystructure.h"

#include "absl/strings/str_cat.h"
#include "services/libs/mail/address.h"
#include "services/libs/mail/envelope.h"
#include "services/libs/mail/imap_string.h"
#include "services/libs/mail/search_headers.h"

namespace mail::mime {
namespace {

constexpr char kEmptyBodyStructure[] =
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";

class Writer {
 public:
  Writer(std::string_view raw, const Message& m, bool extended)
      : raw_(raw), m_(m), extended_(extended) {}

  void Part(int index, std::string* out) {
    const mime::Part& p = m_.parts[index];
    out->push_back('(');
    if (p.kind == PartKind::kMultipart) {
      Multipart(p, out);
    } else {
      Single(p, out);
    }
    out->push_back(')');
  }

 private:
  void Params(const std::vector<Param>& params, bool default_charset, std::string* out) {
    if (params.empty() && !default_charset) {
      out->append("NIL");
      return;
    }
    out->push_back('(');
    bool seen_charset = false;
    bool first = true;
    for (const Param& param : params) {
      if (!first) out->push_back(' ');
      first = false;
      if (AsciiLower(param.name) == "charset") seen_charset = true;
      AppendImapString(out, param.name);
      out->push_back(' ');
      AppendImapString(out, param.value);
    }
    if (default_charset && !seen_charset) {
      if (!first) out->push_back(' ');
      out->append("\"charset\" \"us-ascii\"");
    }
    out->push_back(')');
  }

  void Extension(const mime::Part& p, std::string* out) {
    out->push_back(' ');
    if (!p.disposition) {
      out->append("NIL");
    } else {
      out->push_back('(');
      AppendImapString(out, *p.disposition);
      out->push_back(' ');
      Params(p.disposition_params, false, out);
      out->push_back(')');
    }
    out->push_back(' ');
    if (p.languages.empty()) {
      out->append("NIL");
    } else {
      out->push_back('(');
      for (size_t i = 0; i < p.languages.size(); ++i) {
        if (i > 0) out->push_back(' ');
        AppendImapString(out, p.languages[i]);
      }
      out->push_back(')');
    }
    out->push_back(' ');
    AppendImapNString(out, p.location);
  }

  void Multipart(const mime::Part& p, std::string* out) {
    if (p.children.empty()) {
      out->append(kEmptyBodyStructure);
    } else {
      for (int c : p.children) Part(c, out);
    }
    out->push_back(' ');
    AppendImapString(out, p.subtype);
    if (!extended_) return;
    out->push_back(' ');
    Params(p.params, false, out);
    Extension(p, out);
  }

  void Single(const mime::Part& p, std::string* out) {
    bool text = false;
    if (p.kind == PartKind::kMessage) {
      out->append("\"message\" \"rfc822\"");
    } else if (!p.has_content_type) {
      text = true;
      out->append("\"text\" \"plain\"");
    } else if (p.effective_type == "message" && p.effective_subtype == "rfc822") {
      // Beyond the nesting limit: an opaque part. "message" "rfc822" would promise an
      // envelope that is not there.
      out->append("\"application\" \"octet-stream\"");
    } else {
      text = p.effective_type == "text";
      AppendImapString(out, p.type);
      out->push_back(' ');
      AppendImapString(out, p.subtype);
    }
    out->push_back(' ');
    Params(p.params, text, out);
    out->push_back(' ');
    AppendImapNString(out, p.id);
    out->push_back(' ');
    AppendImapNString(out, p.description);
    out->push_back(' ');
    AppendImapString(out, p.transfer_encoding ? *p.transfer_encoding : std::string("7bit"));
    absl::StrAppend(out, " ", p.body_size());
    if (text) {
      absl::StrAppend(out, " ", p.lines);
    } else if (p.kind == PartKind::kMessage && !p.children.empty()) {
      const mime::Part& inner = m_.parts[p.children[0]];
      std::string_view header =
          raw_.substr(inner.header_begin, inner.body_begin - inner.header_begin);
      out->append(" ");
      out->append(FormatEnvelope(ParseEnvelope(ParseHeader(header))));
      out->push_back(' ');
      Part(p.children[0], out);
      absl::StrAppend(out, " ", p.lines);
    }
    if (!extended_) return;
    out->push_back(' ');
    AppendImapNString(out, p.md5);
    Extension(p, out);
  }

  std::string_view raw_;
  const Message& m_;
  bool extended_;
};

}  // namespace

std::string FormatBodyStructure(std::string_view raw, const Message& message, bool extended,
                                int index) {
  std::string out;
  if (message.parts.empty()) return kEmptyBodyStructure;
  Writer(raw, message, extended).Part(index, &out);
  return out;
}

MessageStructure ComputeStructure(std::string_view raw) {
  Message m = Parse(raw);
  MessageStructure s;
  const Part& root = m.parts[0];
  s.envelope =
      FormatEnvelope(ParseEnvelope(ParseHeader(raw.substr(root.header_begin, root.body_begin))));
  s.bodystructure = FormatBodyStructure(raw, m, true);
  s.body = FormatBodyStructure(raw, m, false);
  s.parts = EncodePartTable(ToPartTable(m));
  s.search_headers = SearchHeaderJson(raw.substr(root.header_begin, root.body_begin));
  return s;
}

}  // namespace mail::mime
