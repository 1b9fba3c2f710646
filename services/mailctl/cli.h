// Pure helpers of the mailctl command line: size parsing and formatting, tables, and
// the exit codes. No I/O beyond the stream a Table is printed to.
#ifndef MAILSUITE_SERVICES_MAILCTL_CLI_H_
#define MAILSUITE_SERVICES_MAILCTL_CLI_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace mail::mailctl {

// Exit codes: 0 success, 1 the backend refused (unknown domain ...), 2 usage error,
// 3 a backend could not be reached or did not answer in time.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

// "1048576", "512K", "10M", "2G", "1T" (binary multiples; an optional "B" or "iB"
// after the suffix, any case), "0"/"unlimited" (0). nullopt when malformed or > 2^63-1.
std::optional<uint64_t> ParseSize(const std::string& text);

// 0 → "0 B", 1536 → "1.5 KiB", 10485760 → "10.0 MiB".
std::string FormatBytes(uint64_t bytes);

// Seconds since the epoch as "2026-01-02 15:04" UTC; "-" for 0.
std::string FormatTime(int64_t unix_seconds);

// A random password of `length` characters from an alphabet without look-alikes.
std::string RandomPassword(int length = 20);

// The password given on stdin: everything read, without the final line ending.
std::string TrimPasswordLine(std::string text);

// Left-aligned columns separated by two spaces; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size() - 1; }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mail::mailctl

#endif  // MAILSUITE_SERVICES_MAILCTL_CLI_H_
