// SEARCH criteria (RFC 3501 §6.4.4, ESEARCH RETURN options of RFC 4731): the
// arguments of "SEARCH [RETURN (...)] [CHARSET x] key..." parsed into a tree of keys
// that imap-access evaluates against its snapshot and, for text keys, the message.
// Values; pure.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_SEARCH_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_SEARCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/libs/imap/parser.h"
#include "services/libs/imap/sequence_set.h"

namespace mail::imap {

struct SearchKey {
  enum class Kind {
    kAll,
    kAnd,         // children all match
    kOr,          // children[0] or children[1]
    kNot,         // children[0] does not match
    kSequence,    // set: message sequence numbers ("$": the saved result)
    kUid,         // set: UIDs ("UID $": the saved result)
    kFlag,        // text: a system flag or keyword the message has
    kNoFlag,      // text: ... it lacks
    kLarger,      // number: RFC822.SIZE > number
    kSmaller,     // number: RFC822.SIZE < number
    kBefore,      // number: internal date (days since epoch, UTC) <
    kOn,          // ... ==
    kSince,       // ... >=
    kSentBefore,  // number: the Date: header's day <
    kSentOn,
    kSentSince,
    kHeader,  // field (upper case), text: the header field contains text
    kBody,    // text: the body contains it
    kText,    // text: the header or body contains it
  };
  Kind kind = Kind::kAll;
  std::string field;
  std::string text;
  int64_t number = 0;
  SequenceSet set;
  std::vector<SearchKey> children;

  // Needs the message octets (header or body text, sent dates). With
  // `headers_answered`, HEADER keys are answered elsewhere (mailbox-store's
  // SearchMessages) and do not count.
  bool NeedsBody(bool headers_answered = false) const;
  // Appends the HEADER keys of this tree (SUBJECT, FROM ... are HEADER keys).
  void CollectHeaderKeys(std::vector<const SearchKey*>* keys) const;
};

struct SearchProgram {
  // RETURN (...) given: answer with ESEARCH (RFC 4731).
  bool esearch = false;
  bool return_min = false, return_max = false, return_count = false, return_all = false;
  // RETURN (SAVE) (RFC 5182 §2.1, RFC 9051 §6.4.4.1): remember the result for "$".
  bool return_save = false;
  SearchKey root;  // kAnd of the top-level keys

  // No ESEARCH response at all: RETURN (SAVE) alone (RFC 5182 §2.1).
  bool SaveOnly() const {
    return return_save && !return_min && !return_max && !return_count && !return_all;
  }
  // What SAVE keeps of `hits` (ascending): RFC 5182 §2.4 — with MIN and/or MAX but
  // neither ALL nor COUNT, only the minimum and/or maximum; otherwise every hit.
  std::vector<uint32_t> ResultToSave(const std::vector<uint32_t>& hits) const;
};

// The arguments start with "RETURN (... SAVE ...)": a failed SEARCH must still reset
// the saved result to the empty set (RFC 5182 §2.1), even when it cannot be parsed.
bool AsksToSave(const std::vector<Arg>& args);

// Parses the arguments of SEARCH / UID SEARCH. CHARSET must be US-ASCII or UTF-8
// (anything else: INVALID_ARGUMENT with the message "BADCHARSET"). INVALID_ARGUMENT
// with a message for "BAD" for malformed criteria. With `imap4rev2` (the session did
// ENABLE IMAP4rev2) the RFC 9051 grammar applies: the answer is always ESEARCH (ALL
// when no RETURN option asks otherwise) and RECENT, NEW and OLD are not keys.
absl::StatusOr<SearchProgram> ParseSearch(const std::vector<Arg>& args, bool imap4rev2 = false);

// Case-insensitive substring test (RFC 3501 §6.4.4: "case-insensitive"), Unicode
// letters included (mime::ContainsFolded).
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_SEARCH_H_
