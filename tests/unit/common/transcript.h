// Golden protocol transcripts (tests/data/<proto>/*.txt) played against a real server
// session over a loopback socket, as Postfix does with its .in/.ref files.
//
// Format, one item per line:
//   C: text      the client sends text + CRLF
//   S: text      the server's next line must be exactly text (CRLF-terminated; write
//                "S: text<LF>" for a line that must end in a bare LF)
//   @closed      the server must have closed the connection
//   @name args   a directive for the test (set-up, fault injection, checks)
//   # comment    and blank lines are ignored
// Header-only; used from one test thread. Shared by the IMAP and POP3 session tests.
#ifndef MAILSUITE_TESTS_UNIT_TRANSCRIPT_H_
#define MAILSUITE_TESTS_UNIT_TRANSCRIPT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace mail::testing {

struct TranscriptStep {
  enum class Kind { kSend, kExpect, kClosed, kDirective };
  Kind kind;
  std::string text;  // for kDirective: "name args"
  int line;
};

inline std::vector<TranscriptStep> LoadTranscript(const std::string& path) {
  std::ifstream in(path);
  std::vector<TranscriptStep> steps;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("C: ", 0) == 0 || line == "C:") {
      steps.push_back({TranscriptStep::Kind::kSend, line.size() > 3 ? line.substr(3) : "", n});
    } else if (line.rfind("S: ", 0) == 0 || line == "S:") {
      steps.push_back({TranscriptStep::Kind::kExpect, line.size() > 3 ? line.substr(3) : "", n});
    } else if (line == "@closed") {
      steps.push_back({TranscriptStep::Kind::kClosed, "", n});
    } else if (line[0] == '@') {
      steps.push_back({TranscriptStep::Kind::kDirective, line.substr(1), n});
    } else {
      steps.push_back({TranscriptStep::Kind::kDirective, "invalid " + line, n});
    }
  }
  return steps;
}

// The transcripts of a directory, sorted by name.
inline std::vector<std::string> TranscriptFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A blocking client with a receive timeout, so a silent server fails the test
// instead of hanging it.
class TranscriptClient {
 public:
  bool Connect(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TranscriptClient() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool Send(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // One line without its ending; `crlf` tells whether it ended in CRLF. False on
  // close or timeout (`timed_out` says which).
  bool ReadLine(std::string* line, bool* crlf, bool* timed_out, int timeout_ms = 5000) {
    *timed_out = false;
    for (;;) {
      size_t lf = buf_.find('\n');
      if (lf != std::string::npos) {
        *crlf = lf > 0 && buf_[lf - 1] == '\r';
        *line = buf_.substr(0, *crlf ? lf - 1 : lf);
        buf_.erase(0, lf + 1);
        return true;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) {
        *timed_out = true;
        return false;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  // True when the peer has closed (and sent nothing more).
  bool WaitClosed(int timeout_ms = 5000) {
    if (!buf_.empty()) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0;
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

// Plays `steps` against 127.0.0.1:`port`. `directive(text)` handles "@..." lines
// and returns an error message or "". Returns "" on success, else what went wrong
// with the transcript line number.
inline std::string PlayTranscript(const std::vector<TranscriptStep>& steps, int port,
                                  const std::function<std::string(const std::string&)>& directive,
                                  TranscriptClient* client) {
  if (!client->Connect(port)) return "cannot connect";
  for (const TranscriptStep& step : steps) {
    std::string where = "line " + std::to_string(step.line) + ": ";
    switch (step.kind) {
      case TranscriptStep::Kind::kSend:
        if (!client->Send(step.text + "\r\n")) return where + "send failed";
        break;
      case TranscriptStep::Kind::kExpect: {
        std::string got;
        bool crlf = false, timed_out = false;
        if (!client->ReadLine(&got, &crlf, &timed_out)) {
          return where + (timed_out ? "timed out" : "connection closed") + " waiting for \"" +
                 step.text + "\"";
        }
        std::string expected = step.text;
        bool want_crlf = true;
        if (expected.size() >= 4 && expected.compare(expected.size() - 4, 4, "<LF>") == 0) {
          expected.resize(expected.size() - 4);
          want_crlf = false;
        }
        if (got != expected || crlf != want_crlf) {
          return where + "expected \"" + step.text + "\" got \"" + got + (crlf ? "" : "<LF>") +
                 "\"";
        }
        break;
      }
      case TranscriptStep::Kind::kClosed:
        if (!client->WaitClosed()) return where + "the server did not close the connection";
        break;
      case TranscriptStep::Kind::kDirective: {
        std::string error = directive(step.text);
        if (!error.empty()) return where + error;
        break;
      }
    }
  }
  return "";
}

}  // namespace mail::testing

#endif  // MAILSUITE_TESTS_UNIT_TRANSCRIPT_H_
