// DNS response parsing; see dns_message.h.
#include "services/dns-resolver/dns_message.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mail::dns_resolver {
namespace {

constexpr int kTypeCname = 5;
constexpr int kTypeSoa = 6;
constexpr int kClassIn = 1;
constexpr int kRcodeNoError = 0;
constexpr int kRcodeNxDomain = 3;

// A bounds-checked reader over the whole message (names may point anywhere in it).
class Reader {
 public:
  explicit Reader(std::string_view msg) : msg_(msg) {}
  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  bool U8(uint8_t* v) {
    if (pos_ + 1 > msg_.size()) return false;
    *v = static_cast<uint8_t>(msg_[pos_++]);
    return true;
  }
  bool U16(uint16_t* v) {
    if (pos_ + 2 > msg_.size()) return false;
    *v = static_cast<uint16_t>((Byte(pos_) << 8) | Byte(pos_ + 1));
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (pos_ + 4 > msg_.size()) return false;
    *v = (static_cast<uint32_t>(Byte(pos_)) << 24) | (Byte(pos_ + 1) << 16) |
         (Byte(pos_ + 2) << 8) | Byte(pos_ + 3);
    pos_ += 4;
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (n > msg_.size() - std::min(pos_, msg_.size())) return false;
    *out = msg_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // A possibly compressed name (RFC 1035 §4.1.4), lower case, dot-separated, "" for
  // the root. Pointers may only go backwards, and the name's length is capped at 255
  // octets (RFC 1035 §2.3.4), so a malicious message cannot make this loop.
  bool Name(std::string* out) {
    out->clear();
    size_t p = pos_;
    size_t resume = 0;  // where reading continues after the first pointer
    bool jumped = false;
    size_t wire_len = 0;
    int jumps = 0;
    while (true) {
      if (p >= msg_.size()) return false;
      uint8_t len = Byte(p);
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= msg_.size()) return false;
        size_t target = ((len & 0x3F) << 8) | Byte(p + 1);
        if (target >= p || ++jumps > 64) return false;
        if (!jumped) resume = p + 2;
        jumped = true;
        p = target;
        continue;
      }
      if ((len & 0xC0) != 0) return false;  // 0x40/0x80: obsolete label types
      if (len == 0) {
        pos_ = jumped ? resume : p + 1;
        return true;
      }
      wire_len += len + 1;
      if (wire_len > 255 || p + 1 + len > msg_.size()) return false;
      if (!out->empty()) out->push_back('.');
      out->append(absl::AsciiStrToLower(std::string(msg_.substr(p + 1, len))));
      p += 1 + len;
    }
  }

 private:
  uint32_t Byte(size_t i) const { return static_cast<uint8_t>(msg_[i]); }
  std::string_view msg_;
  size_t pos_ = 0;
};

struct Rr {
  std::string owner;
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  size_t rdata_pos = 0;  // offset of RDATA in the message (names inside may be compressed)
  uint16_t rdlength = 0;
};

bool ReadRr(Reader& r, Rr* rr) {
  if (!r.Name(&rr->owner)) return false;
  if (!r.U16(&rr->type) || !r.U16(&rr->klass) || !r.U32(&rr->ttl) || !r.U16(&rr->rdlength)) {
    return false;
  }
  // RFC 2181 §8: a TTL with the top bit set is treated as zero.
  if (rr->ttl & 0x80000000u) rr->ttl = 0;
  rr->rdata_pos = r.pos();
  std::string_view skip;
  return r.Bytes(rr->rdlength, &skip);
}

}  // namespace

absl::StatusOr<Answer> ParseResponse(std::string_view message, std::string_view qname,
                                     RecordType type) {
  auto malformed = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("malformed DNS response: ", std::string(what)));
  };
  Reader r(message);
  uint16_t id, flags, qdcount, ancount, nscount, arcount;
  if (!r.U16(&id) || !r.U16(&flags) || !r.U16(&qdcount) || !r.U16(&ancount) || !r.U16(&nscount) ||
      !r.U16(&arcount)) {
    return malformed("short header");
  }
  if ((flags & 0x8000) == 0) return malformed("not a response");
  const int rcode = flags & 0x000F;
  for (int i = 0; i < qdcount; ++i) {
    std::string name;
    uint16_t qtype, qclass;
    if (!r.Name(&name) || !r.U16(&qtype) || !r.U16(&qclass)) return malformed("question");
  }
  std::vector<Rr> answers(ancount), authority(nscount);
  for (auto& rr : answers) {
    if (!ReadRr(r, &rr)) return malformed("answer section");
  }
  for (auto& rr : authority) {
    if (!ReadRr(r, &rr)) return malformed("authority section");
  }
  // The additional section is not needed.

  Answer answer;
  auto negative_ttl = [&]() -> std::optional<absl::Duration> {
    // RFC 2308 §5: the negative TTL is the minimum of the SOA record's own TTL and
    // its MINIMUM field.
    for (const Rr& rr : authority) {
      if (rr.type != kTypeSoa || rr.klass != kClassIn) continue;
      Reader soa(message);
      soa.set_pos(rr.rdata_pos);
      std::string mname, rname;
      uint32_t serial, refresh, retry, expire, minimum;
      if (!soa.Name(&mname) || !soa.Name(&rname) || !soa.U32(&serial) || !soa.U32(&refresh) ||
          !soa.U32(&retry) || !soa.U32(&expire) || !soa.U32(&minimum)) {
        return std::nullopt;
      }
      if (minimum & 0x80000000u) minimum = 0;
      return absl::Seconds(std::min(rr.ttl, minimum));
    }
    return std::nullopt;
  };

  if (rcode == kRcodeNxDomain) {
    answer.outcome = Outcome::kNxDomain;
    answer.ttl = negative_ttl();
    answer.detail = absl::StrCat(std::string(qname), ": no such domain (NXDOMAIN)");
    return answer;
  }
  if (rcode != kRcodeNoError) {
    answer.outcome = Outcome::kTempFail;
    answer.detail = absl::StrCat(std::string(qname), ": upstream answered RCODE ", rcode);
    return answer;
  }

  // Follow the CNAME chain from qname (RFC 1034 §3.6.2), then take the records of
  // the asked type owned by the last name. Records owned by other names are ignored.
  const int want = WireType(type);
  std::string current(qname);
  uint32_t min_ttl = UINT32_MAX;
  for (int hop = 0; hop <= kMaxCnameChain; ++hop) {
    bool any = false;
    for (const Rr& rr : answers) {
      if (rr.owner != current || rr.klass != kClassIn || rr.type != want) continue;
      Reader rd(message);
      rd.set_pos(rr.rdata_pos);
      std::string_view data;
      switch (type) {
        case RecordType::kA:
        case RecordType::kAaaa: {
          const size_t len = type == RecordType::kA ? 4 : 16;
          if (rr.rdlength != len || !rd.Bytes(len, &data)) return malformed("address record");
          char text[INET6_ADDRSTRLEN];
          if (inet_ntop(type == RecordType::kA ? AF_INET : AF_INET6, data.data(), text,
                        sizeof text) == nullptr) {
            return malformed("address record");
          }
          answer.addresses.emplace_back(text);
          break;
        }
        case RecordType::kMx: {
          MxRecord mx;
          if (!rd.U16(&mx.preference) || !rd.Name(&mx.exchange) ||
              rd.pos() != rr.rdata_pos + rr.rdlength) {
            return malformed("MX record");
          }
          answer.mx.push_back(std::move(mx));
          break;
        }
        case RecordType::kTxt: {
          std::string joined;
          while (rd.pos() < rr.rdata_pos + rr.rdlength) {
            uint8_t len;
            if (!rd.U8(&len) || rd.pos() + len > rr.rdata_pos + rr.rdlength ||
                !rd.Bytes(len, &data)) {
              return malformed("TXT record");
            }
            joined.append(data);
          }
          answer.txt.push_back(std::move(joined));
          break;
        }
        case RecordType::kPtr: {
          // RFC 1035 §3.3.12: PTRDNAME, possibly compressed. An empty name (the root)
          // names no host and is skipped.
          std::string target;
          if (!rd.Name(&target) || rd.pos() != rr.rdata_pos + rr.rdlength) {
            return malformed("PTR record");
          }
          if (target.empty()) continue;
          answer.ptr.push_back(std::move(target));
          break;
        }
      }
      min_ttl = std::min(min_ttl, rr.ttl);
      any = true;
    }
    if (any) {
      answer.outcome = Outcome::kFound;
      answer.ttl = absl::Seconds(min_ttl);
      return answer;
    }
    const Rr* cname = nullptr;
    for (const Rr& rr : answers) {
      if (rr.owner == current && rr.type == kTypeCname && rr.klass == kClassIn) cname = &rr;
    }
    if (cname == nullptr) break;
    Reader rd(message);
    rd.set_pos(cname->rdata_pos);
    std::string target;
    if (!rd.Name(&target)) return malformed("CNAME record");
    min_ttl = std::min(min_ttl, cname->ttl);
    current = std::move(target);
  }
  answer.outcome = Outcome::kNoData;
  answer.ttl = negative_ttl();
  answer.detail =
      absl::StrCat(std::string(qname), ": no ", std::string(RecordTypeName(type)), " record");
  return answer;
}

}  // namespace mail::dns_resolver
