#include <catch2/catch.hpp>

#include "services/libs/mail/mime.h"

namespace mail::mime {
namespace {

std::string_view Slice(std::string_view raw, size_t b, size_t e) { return raw.substr(b, e - b); }

TEST_CASE("mime parser: unfolds header fields and keeps their order") {
  auto f = ParseHeader(
      "Subject: one\r\n two\r\n\tthree\r\nX-Empty:\r\nbroken line\r\nTo : a@b\r\n\r\nBody: no\r\n");
  REQUIRE(f.size() == 3);
  CHECK(f[0].name == "Subject");
  CHECK(f[0].value == "one two\tthree");
  CHECK(f[1].value.empty());
  CHECK(f[2].name == "To");
  CHECK(f[2].value == "a@b");
  CHECK(FindField(f, "subject") == &f[0]);
  CHECK(FindField(f, "Cc") == nullptr);
}

TEST_CASE("mime parser: parameters, quoting and RFC 2231 continuations") {
  auto p = ParseParams("; charset=\"utf-8\" ; format=flowed;name=\"a \\\"b\\\"\"");
  REQUIRE(p.size() == 3);
  CHECK(p[0].name == "charset");
  CHECK(p[0].value == "utf-8");
  CHECK(p[2].value == "a \"b\"");

  p = ParseParams("; name*1=\"world\"; name*0=\"hello \"; x=y");
  REQUIRE(p.size() == 2);
  CHECK(p[0].name == "x");
  CHECK(p[1].name == "name");
  CHECK(p[1].value == "hello world");

  p = ParseParams("; filename*0*=utf-8''%E6%97%A5; filename*1=\"100%\"");
  REQUIRE(p.size() == 1);
  CHECK(p[0].name == "filename*");
  CHECK(p[0].value == "utf-8''%E6%97%A5100%25");
  CHECK(GetParam(p, "filename") == std::optional<std::string>("\xE6\x97\xA5"
                                                              "100%"));

  // A missing index: kept unmerged, as Dovecot does.
  p = ParseParams("; n*0=a; n*2=c");
  REQUIRE(p.size() == 2);
  CHECK(p[0].name == "n*0");
  CHECK(p[1].name == "n*2");

  // Garbage between parameters is skipped.
  p = ParseParams(" junk ; a=1 ;; b = \"2\" ; c");
  REQUIRE(p.size() == 2);
  CHECK(p[1].value == "2");
}

TEST_CASE("mime parser: part offsets of a multipart with a nested message") {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=b\r\n"
      "\r\n"
      "preamble\r\n"
      "--b\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "hello\r\n"
      "--b\r\n"
      "Content-Type: message/rfc822\r\n"
      "\r\n"
      "Subject: inner\r\n"
      "\r\n"
      "inner body\r\n"
      "--b--\r\n"
      "epilogue\r\n";
  Message m = Parse(raw);
  REQUIRE(m.parts.size() == 4);
  CHECK(m.parts[0].kind == PartKind::kMultipart);
  REQUIRE(m.parts[0].children == std::vector<int>{1, 2});
  const Part& text = m.parts[1];
  CHECK(Slice(raw, text.header_begin, text.body_begin) == "Content-Type: text/plain\r\n\r\n");
  CHECK(Slice(raw, text.body_begin, text.body_end) == "hello");
  CHECK(text.lines == 0);
  const Part& msg = m.parts[2];
  CHECK(msg.kind == PartKind::kMessage);
  CHECK(Slice(raw, msg.body_begin, msg.body_end) == "Subject: inner\r\n\r\ninner body");
  CHECK(msg.lines == 2);
  const Part& inner = m.parts[3];
  CHECK(inner.parent == 2);
  CHECK(Slice(raw, inner.header_begin, inner.body_begin) == "Subject: inner\r\n\r\n");
  CHECK(Slice(raw, inner.body_begin, inner.body_end) == "inner body");

  // The part table survives encoding and resolves IMAP section numbers.
  auto table = DecodePartTable(EncodePartTable(ToPartTable(m)));
  REQUIRE(table.ok());
  REQUIRE(table->parts.size() == 4);
  auto s1 = ResolveSection(*table, {1});
  REQUIRE(s1);
  CHECK(Slice(raw, s1->body_begin, s1->body_end) == "hello");
  CHECK(Slice(raw, s1->header_begin, s1->header_end) == "Content-Type: text/plain\r\n\r\n");
  auto s2 = ResolveSection(*table, {2});
  REQUIRE(s2);
  CHECK(s2->is_message);
  CHECK(Slice(raw, s2->message_header_begin, s2->message_header_end) == "Subject: inner\r\n\r\n");
  CHECK(Slice(raw, s2->message_text_begin, s2->message_text_end) == "inner body");
  auto s21 = ResolveSection(*table, {2, 1});  // the single part of the inner message
  REQUIRE(s21);
  CHECK(Slice(raw, s21->body_begin, s21->body_end) == "inner body");
  CHECK_FALSE(ResolveSection(*table, {3}));
  CHECK_FALSE(ResolveSection(*table, {2, 2}));
  CHECK_FALSE(ResolveSection(*table, {0}));
  auto whole = ResolveSection(*table, {});
  REQUIRE(whole);
  CHECK(whole->body_end == raw.size());
}

TEST_CASE("mime parser: a single-part message is its own part 1") {
  std::string raw = "Subject: x\r\n\r\nbody\r\n";
  auto table = ToPartTable(Parse(raw));
  auto s = ResolveSection(table, {1});
  REQUIRE(s);
  CHECK(Slice(raw, s->body_begin, s->body_end) == "body\r\n");
  CHECK(ResolveSection(table, {1, 1}));
  CHECK_FALSE(ResolveSection(table, {2}));
}

TEST_CASE("mime parser: bare LF line ends give offsets into the stored bytes") {
  std::string raw = "Content-Type: multipart/mixed; boundary=z\n\n--z\n\none\ntwo\n--z--\n";
  Message m = Parse(raw);
  REQUIRE(m.parts.size() == 2);
  CHECK(Slice(raw, m.parts[1].body_begin, m.parts[1].body_end) == "one\ntwo");
  CHECK(m.parts[1].lines == 1);
}

TEST_CASE("mime parser: limits make the rest opaque instead of failing") {
  // 40 nested message/rfc822 parts: only 32 levels are parsed.
  std::string raw;
  for (int i = 0; i < 40; ++i) raw += "Content-Type: message/rfc822\r\n\r\n";
  raw += "end\r\n";
  Message m = Parse(raw);
  CHECK(m.limits_hit);
  CHECK(m.parts.size() == 33);

  // More parts than allowed.
  std::string many = "Content-Type: multipart/mixed; boundary=m\r\n\r\n";
  for (int i = 0; i < 50; ++i) many += "--m\r\n\r\nx\r\n";
  Limits limits;
  limits.max_parts = 10;
  Message m2 = Parse(many, limits);
  CHECK(m2.limits_hit);
  CHECK(m2.parts.size() == 10);

  // A header larger than the limit: the rest is body.
  limits = Limits();
  limits.max_header = 100;
  std::string big = "Subject: " + std::string(300, 'a') + "\r\nX: y\r\n\r\nbody";
  Message m3 = Parse(big, limits);
  CHECK(m3.limits_hit);
  CHECK(m3.parts[0].body_begin < big.size());
}

TEST_CASE("mime parser: decoded content for BINARY and SEARCH") {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=\r\n=E8me\r\n"
      "--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
      "\r\nPGI+aMOpPC9iPg==\r\n"
      "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nsecret\r\n"
      "--b--\r\n";
  Message m = Parse(raw);
  REQUIRE(m.parts.size() == 4);
  CHECK(DecodeContent(raw.substr(m.parts[2].body_begin, m.parts[2].body_size()),
                      m.parts[2].encoding) == "<b>h\xC3\xA9</b>");
  CHECK(SearchableText(raw, m) == "Caf\xC3\xA9 cr\xC3\xA8me\n<b>h\xC3\xA9</b>");
}

TEST_CASE("mime parser: malformed part tables are rejected") {
  CHECK_FALSE(DecodePartTable("").ok());
  CHECK_FALSE(DecodePartTable("\x02").ok());
  std::string good = EncodePartTable(ToPartTable(Parse("a: b\r\n\r\nc")));
  CHECK(DecodePartTable(good).ok());
  CHECK_FALSE(DecodePartTable(good.substr(0, good.size() - 1)).ok());
  CHECK_FALSE(DecodePartTable(good + "x").ok());
}

}  // namespace
}  // namespace mail::mime
