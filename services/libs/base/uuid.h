// Random (version 4) UUIDs in text form, for transaction and queue ids.
#ifndef MAILSUITE_SERVICES_LIBS_BASE_UUID_H_
#define MAILSUITE_SERVICES_LIBS_BASE_UUID_H_

#include <string>
#include <string_view>

namespace mail::base {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", from the OS random source. Thread-safe.
std::string NewUuid();
// True for the canonical lower- or upper-case 8-4-4-4-12 hex form.
bool IsUuid(std::string_view text);

}  // namespace mail::base

#endif  // MAILSUITE_SERVICES_LIBS_BASE_UUID_H_
