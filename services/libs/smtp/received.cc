#include "services/libs/smtp/received.h"

#include "absl/strings/str_cat.h"
#include "services/libs/mail/date.h"

namespace mail::smtp {
namespace {

// The HELO name is the client's word: keep printable ASCII only, drop parentheses
// (they would open a comment) and cap the length, so the header stays parseable.
std::string SafeToken(std::string_view text, size_t max_len = 255) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max_len) break;
    if (c > 32 && c < 127 && c != '(' && c != ')' && c != ';' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x80) {
      out.push_back('?');
    }
  }
  return out.empty() ? "unknown" : out;
}

}  // namespace

std::string WithProtocol(const ReceivedInfo& info) {
  std::string p = info.smtputf8 ? "UTF8SMTP" : (info.esmtp ? "ESMTP" : "SMTP");
  if (!info.esmtp && !info.smtputf8) {
    // RFC 3848 names only exist for ESMTP; plain HELO stays "SMTP".
    return p;
  }
  if (info.tls) p += "S";
  if (info.authenticated) p += "A";
  return p;
}

std::string FormatReceived(const ReceivedInfo& info) {
  std::string ip = info.client_ip;
  if (ip.find(':') != std::string::npos) ip = "IPv6:" + ip;  // RFC 5321 address literal
  std::string out = absl::StrCat("Received: from ", SafeToken(info.helo), " (");
  if (!info.client_rdns.empty()) absl::StrAppend(&out, SafeToken(info.client_rdns), " ");
  absl::StrAppend(&out, "[", ip, "])\r\n\tby ", info.hostname, " (mailsuite) with ",
                  WithProtocol(info), " id ", info.id);
  if (info.tls || info.authenticated) {
    out += "\r\n\t";
    if (info.tls) {
      absl::StrAppend(&out, "(using ", info.tls_version.empty() ? "TLS" : info.tls_version);
      if (!info.tls_cipher.empty()) absl::StrAppend(&out, " with cipher ", info.tls_cipher);
      out += ")";
      if (info.authenticated) out += " ";
    }
    if (info.authenticated) {
      absl::StrAppend(&out, "(authenticated user ", SafeToken(info.auth_user), ")");
    }
  }
  out += "\r\n\t";
  if (!info.for_rcpt.empty()) absl::StrAppend(&out, "for <", info.for_rcpt, ">");
  absl::StrAppend(&out, "; ", mail::FormatRfc5322Date(info.when), "\r\n");
  return out;
}

}  // namespace mail::smtp
