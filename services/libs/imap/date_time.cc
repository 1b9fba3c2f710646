// IMAP dates; see date_time.h.
#include "services/libs/imap/date_time.h"

#include <cctype>
#include <string>

namespace mail::imap {
namespace {

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};

// Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Parses "d-Mon-yyyy" at the start of `s` into days; `*used` octets consumed.
bool ParseDay(std::string_view s, int64_t* days, size_t* used) {
  size_t pos = 0;
  if (!s.empty() && s[0] == ' ') pos = 1;  // date-day-fixed
  int day = 0;
  size_t day_len = 0;
  while (pos + day_len < s.size() && day_len < 3 &&
         std::isdigit(static_cast<unsigned char>(s[pos + day_len]))) {
    ++day_len;
  }
  if (day_len == 0 || day_len > 2 || !Digits(s, pos, day_len, &day)) return false;
  pos += day_len;
  if (pos + 5 > s.size() || s[pos] != '-' || s[pos + 4] != '-') return false;
  std::string mon(s.substr(pos + 1, 3));
  for (char& c : mon) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (mon == kMonths[i]) month = i + 1;
  }
  if (month == 0) return false;
  pos += 5;
  int year = 0;
  if (!Digits(s, pos, 4, &year)) return false;
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kDaysIn[month - 1]) return false;
  *days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  *used = pos + 4;
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseDate(std::string_view text) {
  int64_t days = 0;
  size_t used = 0;
  if (!ParseDay(text, &days, &used) || used != text.size()) {
    return absl::InvalidArgumentError("invalid date, expected e.g. 1-Feb-1994");
  }
  return days;
}

absl::StatusOr<int64_t> ParseDateTime(std::string_view text) {
  auto bad = [] {
    return absl::InvalidArgumentError(
        "invalid date-time, expected e.g. 17-Jul-1996 02:44:25 -0700");
  };
  int64_t days = 0;
  size_t pos = 0;
  if (!ParseDay(text, &days, &pos)) return bad();
  int h = 0, m = 0, s = 0, zh = 0, zm = 0;
  if (text.size() != pos + 15 || text[pos] != ' ' || !Digits(text, pos + 1, 2, &h) ||
      text[pos + 3] != ':' || !Digits(text, pos + 4, 2, &m) || text[pos + 6] != ':' ||
      !Digits(text, pos + 7, 2, &s) || text[pos + 9] != ' ' ||
      (text[pos + 10] != '+' && text[pos + 10] != '-') || !Digits(text, pos + 11, 2, &zh) ||
      !Digits(text, pos + 13, 2, &zm)) {
    return bad();
  }
  if (h > 23 || m > 59 || s > 60 || zm > 59) return bad();
  int64_t zone = (zh * 60 + zm) * 60 * (text[pos + 10] == '-' ? -1 : 1);
  return days * 86400 + h * 3600 + m * 60 + s - zone;
}

}  // namespace mail::imap
