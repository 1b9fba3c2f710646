// A Resolver for tests: answers from a table, inline or when the test says so, and
// counts the queries it was asked.
#ifndef MAILSUITE_TESTS_UNIT_DNS_RESOLVER_FAKE_RESOLVER_H_
#define MAILSUITE_TESTS_UNIT_DNS_RESOLVER_FAKE_RESOLVER_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services/dns-resolver/answer.h"

namespace mail::dns_resolver {

class FakeResolver : public Resolver {
 public:
  // When false, answers wait in pending() until Flush().
  bool answer_inline = true;
  std::map<std::pair<std::string, RecordType>, Answer> table;
  int queries = 0;

  void Query(const std::string& name, RecordType type, std::function<void(Answer)> done) override {
    ++queries;
    Answer answer;
    auto it = table.find({name, type});
    if (it != table.end()) {
      answer = it->second;
    } else {
      answer.outcome = Outcome::kNxDomain;
    }
    if (answer_inline) {
      done(std::move(answer));
    } else {
      pending_.emplace_back(std::move(done), std::move(answer));
    }
  }
  void Flush() {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [done, answer] : pending) done(std::move(answer));
  }
  size_t pending() const { return pending_.size(); }

  // Helpers to fill the table.
  void SetAddresses(const std::string& name, RecordType type, std::vector<std::string> addrs,
                    int ttl = 300) {
    Answer a;
    a.outcome = Outcome::kFound;
    a.addresses = std::move(addrs);
    a.ttl = absl::Seconds(ttl);
    table[{name, type}] = a;
  }
  void SetOutcome(const std::string& name, RecordType type, Outcome outcome) {
    Answer a;
    a.outcome = outcome;
    table[{name, type}] = a;
  }
  void SetMx(const std::string& name, std::vector<MxRecord> mx, int ttl = 300) {
    Answer a;
    a.outcome = Outcome::kFound;
    a.mx = std::move(mx);
    a.ttl = absl::Seconds(ttl);
    table[{name, RecordType::kMx}] = a;
  }

 private:
  std::vector<std::pair<std::function<void(Answer)>, Answer>> pending_;
};

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_TESTS_UNIT_DNS_RESOLVER_FAKE_RESOLVER_H_
