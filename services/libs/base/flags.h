// Command-line parsing for every binary: absl flags, where each flag may also come
// from the environment variable MAILSUITE_<FLAG_IN_UPPER_SNAKE> (the command line
// wins), and `--some-flag` is accepted for `--some_flag`. Call once from main().
#ifndef MAILSUITE_SERVICES_LIBS_BASE_FLAGS_H_
#define MAILSUITE_SERVICES_LIBS_BASE_FLAGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace mail::base {

// Applies MAILSUITE_* variables, parses argv, exits with a message on a bad flag.
// Returns the positional arguments (argv[0] excluded). Being every process's first
// call, it also turns off absl::Mutex deadlock detection, which Debian's Abseil (built
// without NDEBUG) leaves on: it costs a global lock and a graph update on every Mutex
// acquisition, for a check the tests (Debug builds, sanitizers) are the place for.
std::vector<std::string> ParseFlags(int argc, char** argv, std::string_view usage);

// "host:port" split; false when malformed. "[::1]:25" is accepted.
bool SplitHostPort(std::string_view address, std::string* host, int* port);

}  // namespace mail::base

#endif  // MAILSUITE_SERVICES_LIBS_BASE_FLAGS_H_
