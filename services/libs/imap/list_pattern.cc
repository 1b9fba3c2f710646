// LIST pattern matching; see list_pattern.h.
#include "services/libs/imap/list_pattern.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mail::imap {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string CombineListPattern(std::string_view reference, std::string_view pattern) {
  if (reference.empty()) return std::string(pattern);
  if (!pattern.empty() && pattern.front() == kHierarchyDelimiter &&
      reference.back() == kHierarchyDelimiter) {
    pattern.remove_prefix(1);
  }
  return absl::StrCat(Av(reference), Av(pattern));
}

std::string CanonicalMailboxName(std::string_view name) {
  if (absl::EqualsIgnoreCase(Av(name), "INBOX")) return "INBOX";
  if (name.size() > 5 && absl::StartsWithIgnoreCase(Av(name), "INBOX") &&
      name[5] == kHierarchyDelimiter) {
    return absl::StrCat("INBOX", Av(name.substr(5)));
  }
  return std::string(name);
}

bool ListPatternMatches(std::string_view pattern_in, std::string_view name_in, char delimiter) {
  std::string pattern = CanonicalMailboxName(pattern_in);
  std::string name = CanonicalMailboxName(name_in);
  // match[j]: pattern[0..i) matches name[0..j). One row at a time.
  const size_t n = name.size();
  std::vector<char> match(n + 1, 0), next(n + 1, 0);
  match[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      // A wildcard extends any earlier match over characters it may swallow.
      bool reach = false;
      for (size_t j = 0; j <= n; ++j) {
        if (match[j]) reach = true;
        next[j] = reach;
        if (p == '%' && j < n && name[j] == delimiter) reach = false;
      }
    } else {
      for (size_t j = 0; j < n; ++j) {
        if (match[j] && name[j] == p) next[j + 1] = 1;
      }
    }
    match.swap(next);
  }
  return match[n];
}

}  // namespace mail::imap
