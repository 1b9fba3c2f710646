// The one table that explains delivery failures: (SMTP reply code, RFC 3463 enhanced
// code, DNS outcome, connection failure kind) -> cause. A cause has an id (the metric
// label `cause`, the column relay.recipients.cause), its usual permanence, and plain
// explanations and advice in English and Japanese for DSNs and mailctl.
// Pure data and functions: no I/O, thread-safe, the table is static.
#ifndef MAILSUITE_SERVICES_LIBS_DELIVERY_CLASSIFY_H_
#define MAILSUITE_SERVICES_LIBS_DELIVERY_CLASSIFY_H_

#include <string>
#include <string_view>
#include <vector>

namespace mail::delivery {

enum class DnsOutcome {
  kNone,        // no DNS problem (or not a DNS step)
  kNxdomain,    // the domain does not exist
  kNoData,      // exists, but no MX and no A/AAAA: receives no mail
  kNullMx,      // RFC 7505 null MX
  kTemporary,   // SERVFAIL, timeout
  kInvalidName  // not a usable domain name
};

enum class ConnectionFailure {
  kNone,
  kRefused,      // TCP RST
  kTimeout,      // connect timed out
  kUnreachable,  // no route, network down
  kLost,         // the connection closed or timed out mid-dialogue
  kTls,          // the TLS handshake failed
};

enum class Permanence { kSuccess, kTemporary, kPermanent };

struct Cause {
  std::string_view id;         // "mailbox_unknown"
  Permanence permanence;       // the usual class of this cause
  std::string_view status;     // RFC 3463 code used when the reply carried none
  std::string_view english;    // what happened
  std::string_view japanese;   // the same, in polite Japanese
  std::string_view advice_en;  // what the sender can do
  std::string_view advice_ja;
};

// What one attempt for one recipient produced. Either an SMTP reply (code != 0), a DNS
// outcome, a connection failure, or a reply the relay synthesized (code 0 with an
// enhanced code).
struct Outcome {
  int code = 0;               // 250, 550; 0 when no SMTP reply
  std::string_view enhanced;  // "5.1.1" or ""
  std::string_view text;      // the reply text, for a few textual hints (greylisting)
  DnsOutcome dns = DnsOutcome::kNone;
  ConnectionFailure connection = ConnectionFailure::kNone;
};

struct Classification {
  const Cause* cause;
  // From the reply class when there is an SMTP reply or an enhanced code; else the
  // cause's usual permanence.
  Permanence permanence;
};

Classification Classify(const Outcome& outcome);

// The cause with this id, or nullptr.
const Cause* FindCause(std::string_view id);
// Every cause, in table order (for documentation, mailctl and tests).
const std::vector<Cause>& AllCauses();

std::string_view PermanenceName(Permanence p);  // "delivered", "temporary", "permanent"

}  // namespace mail::delivery

#endif  // MAILSUITE_SERVICES_LIBS_DELIVERY_CLASSIFY_H_
