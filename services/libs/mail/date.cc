#include "services/libs/mail/date.h"

#include "absl/strings/str_format.h"

namespace mail {

std::string FormatRfc5322Date(absl::Time t, absl::TimeZone tz) {
  // Names spelled out here rather than through strftime, so the process locale can
  // never leak into a header (RFC 5322 day-name and month-name are English).
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  absl::TimeZone::CivilInfo ci = tz.At(t);
  int weekday = static_cast<int>(absl::GetWeekday(ci.cs));  // Monday = 0
  int offset_min = ci.offset / 60;
  char sign = offset_min < 0 ? '-' : '+';
  if (offset_min < 0) offset_min = -offset_min;
  return absl::StrFormat("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d", kDays[weekday], ci.cs.day(),
                         kMonths[ci.cs.month() - 1], ci.cs.year(), ci.cs.hour(), ci.cs.minute(),
                         ci.cs.second(), sign, offset_min / 60, offset_min % 60);
}

}  // namespace mail
