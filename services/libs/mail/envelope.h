// IMAP ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) from a message header: the raw
// (not RFC 2047-decoded) date, subject, address lists and message ids, written as the
// ready-to-send parenthesised list. Follows Dovecot's choices on broken input (last
// field wins, "MISSING_DOMAIN"/"MISSING_MAILBOX" fill-ins, a comment after a bare
// address is its display name). Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_ENVELOPE_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_ENVELOPE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/libs/mail/mime.h"

namespace mail::mime {

// One ENVELOPE address. A group is a start marker (mailbox = group name, host unset)
// and an end marker (all unset), RFC 3501 §7.4.2.
struct Address {
  std::optional<std::string> name, adl, mailbox, host;
  bool IsGroupStart() const { return mailbox && !host; }
  bool IsGroupEnd() const { return !name && !adl && !mailbox && !host; }
};

// RFC 5322 §3.4 address-list, obsolete forms tolerated; never fails.
std::vector<Address> ParseAddressList(std::string_view value);

struct Envelope {
  std::optional<std::string> date, subject, in_reply_to, message_id;
  std::vector<Address> from, sender, reply_to, to, cc, bcc;
};

Envelope ParseEnvelope(const std::vector<HeaderField>& fields);

// "(date subject (from) (sender) (reply-to) (to) (cc) (bcc) in-reply-to message-id)";
// sender and reply-to default to from (RFC 3501 §7.4.2). Empty lists are NIL.
std::string FormatEnvelope(const Envelope& envelope);

// Appends the envelope fields without the enclosing parentheses.
void AppendEnvelopeFields(const Envelope& envelope, std::string* out);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_ENVELOPE_H_
