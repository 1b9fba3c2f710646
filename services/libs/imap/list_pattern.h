// LIST and LSUB mailbox patterns (RFC 3501 §6.3.8): "*" matches anything, "%"
// anything but the hierarchy delimiter; INBOX matches case-insensitively. Pure.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_LIST_PATTERN_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_LIST_PATTERN_H_

#include <string>
#include <string_view>

namespace mail::imap {

// The hierarchy delimiter of every mailbox name (issue 5: "/").
inline constexpr char kHierarchyDelimiter = '/';

// The canonical pattern for a LIST reference and mailbox argument: the reference
// followed by the pattern (RFC 3501 §6.3.8 leaves the interpretation to the server;
// this is what Dovecot does for a reference without wildcards).
std::string CombineListPattern(std::string_view reference, std::string_view pattern);

// True when `name` matches `pattern`. Runs in O(|pattern| * |name|) whatever the
// number of wildcards, so hostile patterns cost nothing special.
bool ListPatternMatches(std::string_view pattern, std::string_view name,
                        char delimiter = kHierarchyDelimiter);

// "INBOX" for any case of "inbox" and of an "inbox/" prefix (RFC 3501 §5.1: INBOX is
// case-insensitive); other names unchanged.
std::string CanonicalMailboxName(std::string_view name);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_LIST_PATTERN_H_
