// IMAP dates (RFC 3501 §9): "date-time" of APPEND ("17-Jul-1996 02:44:25 -0700", the
// day possibly space-padded) and "date" of SEARCH ("1-Feb-1994", possibly quoted by
// the caller). Pure functions.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_DATE_TIME_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_DATE_TIME_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace mail::imap {

// Seconds since the epoch (UTC) of a date-time. INVALID_ARGUMENT otherwise.
absl::StatusOr<int64_t> ParseDateTime(std::string_view text);

// Days since the epoch of a date ("1-Feb-1994" or "01-Feb-1994").
absl::StatusOr<int64_t> ParseDate(std::string_view text);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_DATE_TIME_H_
