// The Received: trace header smtp-ingress prepends (RFC 5321 §4.4, with the
// "with" protocol names of RFC 3848 and RFC 6531 §3.7.3). Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_SMTP_RECEIVED_H_
#define MAILSUITE_SERVICES_LIBS_SMTP_RECEIVED_H_

#include <string>

#include "absl/time/time.h"

namespace mail::smtp {

struct ReceivedInfo {
  std::string helo;         // the HELO/EHLO argument as given
  std::string client_rdns;  // verified reverse DNS name; empty when unknown
  std::string client_ip;    // "192.0.2.1" or "2001:db8::1"
  std::string hostname;     // our name
  bool esmtp = true;        // EHLO (not HELO)
  bool tls = false;
  bool authenticated = false;
  bool smtputf8 = false;
  std::string tls_version;  // "TLSv1.3"
  std::string tls_cipher;   // "TLS_AES_256_GCM_SHA384"
  std::string auth_user;    // the authenticated account
  std::string id;           // transaction id
  std::string for_rcpt;     // given only when there is exactly one recipient
  absl::Time when;
};

// "SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", "UTF8SMTPSA", ...
std::string WithProtocol(const ReceivedInfo& info);

// The whole header field, folded, ending in CRLF:
//   Received: from helo (rdns [ip])
//   \tby host (mailsuite) with ESMTPSA id <id>
//   \t(using TLSv1.3 with cipher ...) (authenticated user alice@example.test)
//   \tfor <rcpt>; Tue, 01 Jul 2025 10:00:00 +0000
std::string FormatReceived(const ReceivedInfo& info);

}  // namespace mail::smtp

#endif  // MAILSUITE_SERVICES_LIBS_SMTP_RECEIVED_H_
