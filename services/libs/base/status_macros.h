// Status propagation macros over absl::Status / absl::StatusOr, as in Abseil-based
// codebases. Usable from any thread; they only move values.
#ifndef MAILSUITE_SERVICES_LIBS_BASE_STATUS_MACROS_H_
#define MAILSUITE_SERVICES_LIBS_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MAIL_STATUS_CONCAT_INNER_(a, b) a##b
#define MAIL_STATUS_CONCAT_(a, b) MAIL_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define MAIL_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status mail_status_ = (expr);        \
    if (!mail_status_.ok()) return mail_status_; \
  } while (0)

// `MAIL_ASSIGN_OR_RETURN(auto x, F());` assigns the value of a StatusOr or returns
// its error.
#define MAIL_ASSIGN_OR_RETURN(lhs, rexpr) \
  MAIL_ASSIGN_OR_RETURN_IMPL_(MAIL_STATUS_CONCAT_(mail_statusor_, __LINE__), lhs, rexpr)
#define MAIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

// The same for coroutines returning asio::awaitable<absl::Status...>.
#define MAIL_CO_RETURN_IF_ERROR(expr)               \
  do {                                              \
    ::absl::Status mail_status_ = (expr);           \
    if (!mail_status_.ok()) co_return mail_status_; \
  } while (0)
#define MAIL_CO_ASSIGN_OR_RETURN(lhs, rexpr) \
  MAIL_CO_ASSIGN_OR_RETURN_IMPL_(MAIL_STATUS_CONCAT_(mail_statusor_, __LINE__), lhs, rexpr)
#define MAIL_CO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) co_return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#endif  // MAILSUITE_SERVICES_LIBS_BASE_STATUS_MACROS_H_
