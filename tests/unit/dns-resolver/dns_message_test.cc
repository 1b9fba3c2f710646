// Tests for the DNS response parser and name normalization.
#include "services/dns-resolver/dns_message.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail::dns_resolver {
namespace {

// Builds DNS responses byte by byte. Names are written uncompressed unless a pointer
// offset is given.
class Msg {
 public:
  Msg(int rcode, int qd, int an, int ns) {
    U16(0x1234);
    U16(0x8180 | rcode);  // QR, RD, RA
    U16(qd);
    U16(an);
    U16(ns);
    U16(0);
  }
  Msg& Name(const std::string& name) {
    size_t start = 0;
    while (start < name.size()) {
      size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      bytes.push_back(static_cast<char>(dot - start));
      bytes.append(name, start, dot - start);
      start = dot + 1;
    }
    bytes.push_back(0);
    return *this;
  }
  Msg& Pointer(int offset) {
    bytes.push_back(static_cast<char>(0xC0 | (offset >> 8)));
    bytes.push_back(static_cast<char>(offset & 0xFF));
    return *this;
  }
  Msg& Question(const std::string& name, int type) {
    Name(name);
    U16(type);
    return U16(1);
  }
  // Owner already written; type, class IN, ttl, then rdata written by the caller
  // after RdLength().
  Msg& RrHeader(int type, uint32_t ttl) {
    U16(type);
    U16(1);
    return U32(ttl);
  }
  Msg& U16(int v) {
    bytes.push_back(static_cast<char>((v >> 8) & 0xFF));
    bytes.push_back(static_cast<char>(v & 0xFF));
    return *this;
  }
  Msg& U32(uint32_t v) {
    U16(v >> 16);
    return U16(v & 0xFFFF);
  }
  Msg& Raw(const std::string& s) {
    bytes += s;
    return *this;
  }
  std::string bytes;
};

// The question name "example.org" starts at offset 12.
constexpr int kQname = 12;

TEST_CASE("dns_message: MX answer with compressed names, sorted later, TTL is the minimum") {
  Msg m(0, 1, 2, 0);
  m.Question("example.org", 15);
  // mx1: "mx1" + pointer to example.org; rdlength = 2 + 4 + 2
  m.Pointer(kQname).RrHeader(15, 600).U16(8).U16(20).Raw(std::string("\x03mx2", 4)).Pointer(kQname);
  m.Pointer(kQname).RrHeader(15, 300).U16(8).U16(10).Raw(std::string("\x03MX1", 4)).Pointer(kQname);
  auto answer = ParseResponse(m.bytes, "example.org", RecordType::kMx);
  REQUIRE(answer.ok());
  CHECK(answer->outcome == Outcome::kFound);
  REQUIRE(answer->mx.size() == 2);
  CHECK(answer->mx[0].preference == 20);
  CHECK(answer->mx[0].exchange == "mx2.example.org");
  CHECK(answer->mx[1].exchange == "mx1.example.org");  // lower-cased
  CHECK(answer->ttl == absl::Seconds(300));
}

TEST_CASE("dns_message: null MX has the root as exchange") {
  Msg m(0, 1, 1, 0);
  m.Question("example.org", 15);
  m.Pointer(kQname).RrHeader(15, 3600).U16(3).U16(0).Raw(std::string(1, '\0'));
  auto answer = ParseResponse(m.bytes, "example.org", RecordType::kMx);
  REQUIRE(answer.ok());
  REQUIRE(answer->mx.size() == 1);
  CHECK(answer->mx[0].exchange.empty());
  CHECK(answer->mx[0].preference == 0);
}

TEST_CASE("dns_message: NXDOMAIN negative TTL is min(SOA TTL, SOA MINIMUM)") {
  Msg m(3, 1, 0, 1);
  m.Question("nope.example.org", 1);
  m.Name("example.org").RrHeader(6, 900);
  std::string rdata;
  {
    Msg r(0, 0, 0, 0);
    r.bytes.clear();
    r.Name("ns.example.org").Name("admin.example.org").U32(1).U32(2).U32(3).U32(4).U32(120);
    rdata = r.bytes;
  }
  m.U16(static_cast<int>(rdata.size())).Raw(rdata);
  auto answer = ParseResponse(m.bytes, "nope.example.org", RecordType::kA);
  REQUIRE(answer.ok());
  CHECK(answer->outcome == Outcome::kNxDomain);
  REQUIRE(answer->ttl.has_value());
  CHECK(*answer->ttl == absl::Seconds(120));
}

TEST_CASE("dns_message: NOERROR without records is NO_DATA, TTL unknown without SOA") {
  Msg m(0, 1, 0, 0);
  m.Question("example.org", 15);
  auto answer = ParseResponse(m.bytes, "example.org", RecordType::kMx);
  REQUIRE(answer.ok());
  CHECK(answer->outcome == Outcome::kNoData);
  CHECK_FALSE(answer->ttl.has_value());
}

TEST_CASE("dns_message: CNAME chain is followed to the A records") {
  Msg m(0, 1, 3, 0);
  m.Question("www.example.org", 1);
  m.Pointer(kQname).RrHeader(5, 50).U16(18).Name("host.example.org");
  m.Name("host.example.org").RrHeader(1, 400).U16(4).Raw(std::string("\x7f\x00\x00\x01", 4));
  // A record for an unrelated owner is ignored.
  m.Name("other.example.org").RrHeader(1, 400).U16(4).Raw(std::string("\x0a\x00\x00\x01", 4));
  auto answer = ParseResponse(m.bytes, "www.example.org", RecordType::kA);
  REQUIRE(answer.ok());
  CHECK(answer->outcome == Outcome::kFound);
  CHECK(answer->addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(answer->ttl == absl::Seconds(50));
}

TEST_CASE("dns_message: AAAA and TXT records") {
  Msg m(0, 1, 1, 0);
  m.Question("example.org", 28);
  std::string v6(16, '\0');
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = static_cast<char>(0xb8);
  v6[15] = 1;
  m.Pointer(kQname).RrHeader(28, 60).U16(16).Raw(v6);
  auto answer = ParseResponse(m.bytes, "example.org", RecordType::kAaaa);
  REQUIRE(answer.ok());
  CHECK(answer->addresses == std::vector<std::string>{"2001:db8::1"});

  Msg t(0, 1, 1, 0);
  t.Question("example.org", 16);
  t.Pointer(kQname).RrHeader(16, 60).U16(12).Raw(
      std::string("\x05v=spf\x05"
                  "1 -al",
                  12));
  auto txt = ParseResponse(t.bytes, "example.org", RecordType::kTxt);
  REQUIRE(txt.ok());
  CHECK(txt->txt == std::vector<std::string>{"v=spf1 -al"});
}

TEST_CASE("dns_message: SERVFAIL is a temporary failure") {
  Msg m(2, 1, 0, 0);
  m.Question("example.org", 15);
  auto answer = ParseResponse(m.bytes, "example.org", RecordType::kMx);
  REQUIRE(answer.ok());
  CHECK(answer->outcome == Outcome::kTempFail);
}

TEST_CASE("dns_message: malformed input is rejected, never read out of bounds") {
  Msg m(0, 1, 1, 0);
  m.Question("example.org", 1);
  m.Pointer(kQname).RrHeader(1, 60).U16(4).Raw(std::string("\x7f\x00\x00\x01", 4));
  // Every truncation fails cleanly.
  for (size_t n = 0; n < m.bytes.size(); ++n) {
    auto answer = ParseResponse(m.bytes.substr(0, n), "example.org", RecordType::kA);
    CHECK_FALSE(answer.ok());
  }
  // A pointer to itself (a loop).
  Msg loop(0, 1, 0, 0);
  loop.Pointer(12).U16(1).U16(1);
  CHECK_FALSE(ParseResponse(loop.bytes, "example.org", RecordType::kA).ok());
  // A query, not a response.
  std::string query = m.bytes;
  query[2] = 0;
  CHECK_FALSE(ParseResponse(query, "example.org", RecordType::kA).ok());
  // An A record with the wrong length.
  Msg bad(0, 1, 1, 0);
  bad.Question("example.org", 1);
  bad.Pointer(kQname).RrHeader(1, 60).U16(3).Raw(std::string("\x7f\x00\x00", 3));
  CHECK_FALSE(ParseResponse(bad.bytes, "example.org", RecordType::kA).ok());
}

TEST_CASE("dns_message: a TTL with the top bit set counts as zero (RFC 2181 §8)") {
  Msg m(0, 1, 1, 0);
  m.Question("example.org", 1);
  m.Pointer(kQname).RrHeader(1, 0x80000001u).U16(4).Raw(std::string("\x7f\x00\x00\x01", 4));
  auto answer = ParseResponse(m.bytes, "example.org", RecordType::kA);
  REQUIRE(answer.ok());
  CHECK(answer->ttl == absl::ZeroDuration());
}

TEST_CASE("answer: NormalizeName lower-cases, strips the root dot and rejects junk") {
  std::string out;
  CHECK(NormalizeName("Example.ORG.", &out));
  CHECK(out == "example.org");
  CHECK(NormalizeName("_dmarc.example.org", &out));
  CHECK_FALSE(NormalizeName("", &out));
  CHECK_FALSE(NormalizeName(".", &out));
  CHECK_FALSE(NormalizeName("a..b", &out));
  CHECK_FALSE(NormalizeName("a b.org", &out));
  CHECK_FALSE(NormalizeName(std::string(64, 'a') + ".org", &out));
  CHECK(NormalizeName(std::string(63, 'a') + ".org", &out));
  CHECK_FALSE(NormalizeName(std::string(254, 'a'), &out));
}

}  // namespace
}  // namespace mail::dns_resolver

namespace mail::dns_resolver {
namespace {

TEST_CASE("dns_message: PTR answers, compressed, through a CNAME (RFC 2317), root skipped") {
  const std::string qname = "1.2.0.192.in-addr.arpa";
  Msg m(0, 1, 3, 0);
  m.Question(qname, 12);
  // RFC 2317 classless delegation: the PTR owner is a CNAME into a sub-zone.
  const std::string sub = "1.0-25.2.0.192.in-addr.arpa";  // 29 octets on the wire
  m.Pointer(kQname).RrHeader(5, 600).U16(29).Name(sub);
  const int target = static_cast<int>(m.bytes.size()) - 29;  // the CNAME target just written
  m.Pointer(target)
      .RrHeader(12, 120)
      .U16(18)
      .Raw(std::string("\x04mail\x07"
                       "Example",
                       13))
      .Raw(std::string("\x03org\x00", 5));
  m.Pointer(target).RrHeader(12, 300).U16(1).Raw(std::string("\x00", 1));
  auto answer = ParseResponse(m.bytes, qname, RecordType::kPtr);
  REQUIRE(answer.ok());
  CHECK(answer->outcome == Outcome::kFound);
  CHECK(answer->ptr == std::vector<std::string>{"mail.example.org"});
  CHECK(answer->ttl == absl::Seconds(120));
}

TEST_CASE("dns_message: a PTR whose name runs past its RDATA is malformed") {
  const std::string qname = "1.2.0.192.in-addr.arpa";
  Msg m(0, 1, 1, 0);
  m.Question(qname, 12);
  m.Pointer(kQname)
      .RrHeader(12, 60)
      .U16(3)
      .Raw(std::string("\x01"
                       "a\x00",
                       3))
      .U16(0);
  // rdlength 3 covers "\x01a\x00": fine.
  CHECK(ParseResponse(m.bytes, qname, RecordType::kPtr).ok());
  Msg bad(0, 1, 1, 0);
  bad.Question(qname, 12);
  bad.Pointer(kQname).RrHeader(12, 60).U16(2).Raw(
      std::string("\x01"
                  "a\x00",
                  3));
  CHECK_FALSE(ParseResponse(bad.bytes, qname, RecordType::kPtr).ok());
}

TEST_CASE("answer: ReverseName for IPv4, IPv6 and IPv4-mapped addresses") {
  std::string out;
  REQUIRE(ReverseName("192.0.2.1", &out));
  CHECK(out == "1.2.0.192.in-addr.arpa");
  REQUIRE(ReverseName("2001:db8::1", &out));
  CHECK(out == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  std::string normalized;
  CHECK(NormalizeName(out, &normalized));
  REQUIRE(ReverseName("::ffff:127.0.0.1", &out));
  CHECK(out == "1.0.0.127.in-addr.arpa");
  CHECK_FALSE(ReverseName("", &out));
  CHECK_FALSE(ReverseName("example.org", &out));
  CHECK_FALSE(ReverseName("192.0.2.256", &out));
  CHECK_FALSE(ReverseName("1.2.3.4\n", &out));
  CHECK_FALSE(ReverseName(std::string(100, '1'), &out));
}

}  // namespace
}  // namespace mail::dns_resolver
