// JSON-lines logging to stderr: one object per line with ts, level, service, msg and
// any fields the caller adds (session, queue_id, account ...). Thread-safe; a line is
// written with one write(2) so lines from several threads never interleave.
#ifndef MAILSUITE_SERVICES_LIBS_BASE_LOG_H_
#define MAILSUITE_SERVICES_LIBS_BASE_LOG_H_

#include <initializer_list>
#include <string>
#include <string_view>

namespace mail::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

struct LogField {
  std::string_view key;
  std::string value;
};

// Sets the `service` field and the lowest level written. Call once from main().
void InitLogging(std::string_view service, LogLevel min_level = LogLevel::kInfo);
// Parses "debug", "info", "warning", "error"; false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
inline void LogDebug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kDebug, msg, fields);
}
inline void LogInfo(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarning(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, msg, fields);
}
inline void LogError(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, msg, fields);
}

// Appends `text` to `out` as the inside of a JSON string (quotes not included).
// Bytes that are not valid UTF-8 are written as \u00XX so the line stays valid JSON.
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace mail::base

#endif  // MAILSUITE_SERVICES_LIBS_BASE_LOG_H_
