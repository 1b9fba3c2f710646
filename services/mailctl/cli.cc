// mailctl helpers; see cli.h.
#include "services/mailctl/cli.h"

#include <sodium.h>

#include <cstdio>
#include <ctime>
#include <limits>

#include "absl/strings/ascii.h"

namespace mail::mailctl {

std::optional<uint64_t> ParseSize(const std::string& input) {
  std::string text = absl::AsciiStrToLower(std::string(absl::StripAsciiWhitespace(input)));
  if (text == "unlimited" || text == "none") return 0;
  size_t i = 0;
  uint64_t value = 0;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  while (i < text.size() && absl::ascii_isdigit(text[i])) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (kMax - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string suffix = text.substr(i);
  uint64_t multiplier = 1;
  if (!suffix.empty() && suffix != "b") {
    switch (suffix[0]) {
      case 'k':
        multiplier = uint64_t{1} << 10;
        break;
      case 'm':
        multiplier = uint64_t{1} << 20;
        break;
      case 'g':
        multiplier = uint64_t{1} << 30;
        break;
      case 't':
        multiplier = uint64_t{1} << 40;
        break;
      default:
        return std::nullopt;
    }
    std::string rest = suffix.substr(1);
    if (!rest.empty() && rest != "b" && rest != "ib") return std::nullopt;
  }
  if (value > kMax / multiplier) return std::nullopt;
  return value * multiplier;
}

std::string FormatBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string FormatTime(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string RandomPassword(int length) {
  // No 0/O, 1/l/I: the password is read off a terminal and typed into a mail client.
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < length; ++i) {
    out += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  }
  return out;
}

std::string TrimPasswordLine(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

}  // namespace mail::mailctl
