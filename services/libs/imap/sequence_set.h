// IMAP sequence sets (RFC 3501 §9 "sequence-set", RFC 9051): "1", "2:4", "1:*",
// "2,4:7,9". "*" stands for the largest number in use and is resolved when the set is
// applied, since it changes as mail arrives. Values; callable from any thread.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_SEQUENCE_SET_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_SEQUENCE_SET_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mail::imap {

class SequenceSet {
 public:
  // Ranges given in one set at most; protects the merge from hostile input.
  static constexpr size_t kMaxRanges = 10000;

  // INVALID_ARGUMENT for anything that is not a sequence-set: empty parts, 0,
  // leading zeros, numbers over 2^32-1, other characters, too many ranges.
  // With `allow_saved`, "$" alone (RFC 5182 §3 seq-last-command, base syntax in RFC
  // 9051) gives a set whose saved() is true: "the result of the last SEARCH ...
  // RETURN (SAVE)", which only the session knows; "$" never mixes with numbers
  // ("1,$" is invalid).
  static absl::StatusOr<SequenceSet> Parse(std::string_view text, bool allow_saved = false);

  // The set with "*" replaced by `star`, as sorted, merged, inclusive ranges.
  // `star` is the highest sequence number (or UID) in the mailbox; 0 when empty,
  // in which case a range "n:*" becomes "0:n" and never matches message 0.
  std::vector<std::pair<uint32_t, uint32_t>> Resolve(uint32_t star) const;
  bool Contains(uint32_t n, uint32_t star) const;

  // The largest number written explicitly (ignoring "*"), to check message
  // sequence numbers against the mailbox size.
  uint32_t max_explicit() const { return max_explicit_; }
  bool has_star() const { return has_star_; }
  // "$": the caller substitutes the saved search result; Resolve() and Contains() of
  // such a set are empty.
  bool saved() const { return saved_; }

 private:
  // 0 stands for "*".
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;
  uint32_t max_explicit_ = 0;
  bool has_star_ = false;
  bool saved_ = false;
};

// "1:3,5" from ascending numbers: the compact form of COPYUID and ESEARCH ALL.
std::string FormatSequenceSet(const std::vector<uint32_t>& ascending);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_SEQUENCE_SET_H_
