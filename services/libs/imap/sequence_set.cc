// IMAP sequence sets; see sequence_set.h.
#include "services/libs/imap/sequence_set.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mail::imap {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
namespace {

// seq-number = nz-number / "*"; nz-number = digit-nz *DIGIT. Returns 0 for "*".
bool ParseSeqNumber(std::string_view text, uint32_t* value) {
  if (text == "*") {
    *value = 0;
    return true;
  }
  if (text.empty() || text.size() > 10 || text[0] < '1' || text[0] > '9') return false;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > UINT32_MAX) return false;
  *value = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

absl::StatusOr<SequenceSet> SequenceSet::Parse(std::string_view text, bool allow_saved) {
  SequenceSet set;
  if (text.empty()) return absl::InvalidArgumentError("Empty sequence set");
  if (text == "$") {
    if (!allow_saved) return absl::InvalidArgumentError("Invalid sequence set");
    set.saved_ = true;
    return set;
  }
  for (absl::string_view apart : absl::StrSplit(Av(text), ',')) {
    std::string_view part(apart.data(), apart.size());
    if (set.ranges_.size() == kMaxRanges) {
      return absl::InvalidArgumentError("Sequence set has too many ranges");
    }
    size_t colon = part.find(':');
    uint32_t lo, hi;
    if (colon == std::string_view::npos) {
      if (!ParseSeqNumber(part, &lo)) return absl::InvalidArgumentError("Invalid sequence set");
      hi = lo;
    } else if (!ParseSeqNumber(part.substr(0, colon), &lo) ||
               !ParseSeqNumber(part.substr(colon + 1), &hi)) {
      return absl::InvalidArgumentError("Invalid sequence set");
    }
    for (uint32_t v : {lo, hi}) {
      if (v == 0) {
        set.has_star_ = true;
      } else {
        set.max_explicit_ = std::max(set.max_explicit_, v);
      }
    }
    set.ranges_.emplace_back(lo, hi);
  }
  return set;
}

std::vector<std::pair<uint32_t, uint32_t>> SequenceSet::Resolve(uint32_t star) const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  out.reserve(ranges_.size());
  for (auto [lo, hi] : ranges_) {
    if (lo == 0) lo = star;
    if (hi == 0) hi = star;
    // RFC 3501 §9: "4:2" is the same as "2:4".
    if (lo > hi) std::swap(lo, hi);
    out.emplace_back(lo, hi);
  }
  std::sort(out.begin(), out.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& r : out) {
    if (!merged.empty() && static_cast<uint64_t>(r.first) <= uint64_t{merged.back().second} + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

bool SequenceSet::Contains(uint32_t n, uint32_t star) const {
  if (n == 0) return false;
  for (auto [lo, hi] : ranges_) {
    if (lo == 0) lo = star;
    if (hi == 0) hi = star;
    if (lo > hi) std::swap(lo, hi);
    if (n >= lo && n <= hi) return true;
  }
  return false;
}

std::string FormatSequenceSet(const std::vector<uint32_t>& ascending) {
  std::string out;
  for (size_t i = 0; i < ascending.size();) {
    size_t j = i;
    while (j + 1 < ascending.size() && ascending[j + 1] == ascending[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ascending[i]);
    if (j > i) out += ":" + std::to_string(ascending[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace mail::imap
