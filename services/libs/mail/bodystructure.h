// IMAP BODYSTRUCTURE and BODY (RFC 3501 §7.4.2, RFC 9051 §7.5.2) of a parsed message,
// written in Dovecot's form, and the one call mailbox-store makes at delivery to get
// everything FETCH needs without parsing the message again. Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_BODYSTRUCTURE_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_BODYSTRUCTURE_H_

#include <string>
#include <string_view>

#include "services/libs/mail/mime.h"

namespace mail::mime {

// The body structure of parts[index] ready to send, with its enclosing parentheses:
// "FETCH (BODYSTRUCTURE " + this + ")". `extended` adds the extension data (MD5,
// disposition, language, location; multipart parameters) of BODYSTRUCTURE; without
// it this is the non-extensible BODY form.
std::string FormatBodyStructure(std::string_view raw, const Message& message, bool extended,
                                int index = 0);

// Everything stored per message at delivery (mailstore.messages columns).
struct MessageStructure {
  std::string envelope;        // "(...)" as FETCH ENVELOPE sends it
  std::string bodystructure;   // "(...)" as FETCH BODYSTRUCTURE sends it
  std::string body;            // "(...)" as FETCH BODY sends it
  std::string parts;           // EncodePartTable(): offsets for BODY[section]
  std::string search_headers;  // SearchHeaderJson(): header_fields for SEARCH
};

// Parses `raw` once and produces all five. Never fails; bounded by mime::Limits.
MessageStructure ComputeStructure(std::string_view raw);

}  // namespace mail::mime

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_BODYSTRUCTURE_H_
