// RFC 3464 delivery status notifications: builds the DSN message for one DsnWork
// (failures, successes, or a delay warning for some recipients of one message), with a
// human-readable part in English and Japanese from the classification table
// (services/libs/delivery). Pure functions; no I/O.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_DSN_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_DSN_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "services/outbound-relay/queue_store.h"

namespace mail::outbound_relay {

struct DsnOptions {
  std::string hostname;    // Reporting-MTA and MAILER-DAEMON@hostname
  std::string message_id;  // the DSN's id (a UUID), for Message-ID and the boundary
  absl::Time now;
  absl::Duration lifetime = absl::Hours(120);  // Will-Retry-Until of delay warnings
};

// The complete DSN message (header and body, CRLF line ends).
std::string BuildDsn(const DsnWork& work, const DsnOptions& options);

// The reply code and RFC 3463 status of a stored last_reply ("550 5.1.1 text" or
// "5.1.2 text"); code 0 / status "" when absent.
struct ParsedReply {
  int code = 0;
  std::string status;
  std::string text;
};
ParsedReply ParseStoredReply(std::string_view reply);

// The DSN Status of one recipient: the reply's enhanced code, else the cause's, with
// the class of the reply code (or 2.0.0 for a delivery).
std::string DsnStatus(const DsnRecipient& recipient);

// RFC 3461 §4.2 ORCPT "rfc822;bob+40x@example" -> {"rfc822", "bob@x@example"} (xtext
// decoded); empty type when malformed.
std::pair<std::string, std::string> DecodeOrcpt(std::string_view orcpt);

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_DSN_H_
