// RFC 5322 §3.3 date-time formatting for trace and Date: headers. Pure; any thread.
#ifndef MAILSUITE_SERVICES_LIBS_MAIL_DATE_H_
#define MAILSUITE_SERVICES_LIBS_MAIL_DATE_H_

#include <string>

#include "absl/time/time.h"

namespace mail {

// "Tue, 01 Jul 2025 10:00:00 +0000" (English names, numeric zone, no comment).
std::string FormatRfc5322Date(absl::Time t, absl::TimeZone tz = absl::UTCTimeZone());

}  // namespace mail

#endif  // MAILSUITE_SERVICES_LIBS_MAIL_DATE_H_
