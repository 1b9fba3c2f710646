// Selected-mailbox snapshots; see selected.h.
#include "services/imap-access/selected.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mail::imap_access {

bool SelectedMailbox::IsRecent(uint32_t uid) const {
  for (const auto& [first, last] : recent) {
    if (uid >= first && uid <= last) return true;
  }
  return false;
}

uint32_t SelectedMailbox::RecentCount() const {
  if (recent.empty()) return 0;
  uint32_t n = 0;
  for (const SnapshotMessage& m : messages) n += IsRecent(m.uid()) ? 1 : 0;
  return n;
}

void SelectedMailbox::AddRecent(uint32_t first, uint32_t last) {
  if (first == 0 || first > last) return;
  // Claims come in ascending UID order: extend the last range when they touch.
  if (!recent.empty() && recent.back().second + 1 >= first) {
    recent.back().second = std::max(recent.back().second, last);
    return;
  }
  recent.emplace_back(first, last);
}

namespace {

// In the order mailbox-store sorts them (STORE), which FLAGS responses keep.
constexpr std::string_view kSystemFlags[] = {"\\Answered", "\\Deleted", "\\Draft", "\\Flagged",
                                             "\\Seen"};

int SystemFlagBit(std::string_view flag) {
  for (int i = 0; i < 5; ++i) {
    if (absl::EqualsIgnoreCase(absl::string_view(flag.data(), flag.size()),
                               absl::string_view(kSystemFlags[i].data(), kSystemFlags[i].size()))) {
      return i;
    }
  }
  return -1;
}

}  // namespace

SnapshotMessage::SnapshotMessage(const v1::MessageInfo& info)
    : uid_(info.uid()),
      size_(static_cast<uint32_t>(std::min<uint64_t>(info.size(), UINT32_MAX))),
      internal_date_(info.internal_date_unix()) {
  SetFlags(info.flags());
}

SnapshotMessage& SnapshotMessage::operator=(const SnapshotMessage& other) {
  if (this == &other) return *this;
  uid_ = other.uid_;
  size_ = other.size_;
  internal_date_ = other.internal_date_;
  system_ = other.system_;
  keywords_ = other.keywords_ ? std::make_unique<std::string>(*other.keywords_) : nullptr;
  return *this;
}

void SnapshotMessage::SetFlags(const google::protobuf::RepeatedPtrField<std::string>& flags) {
  system_ = 0;
  std::string words;
  for (const std::string& f : flags) {
    const int bit = SystemFlagBit(f);
    if (bit >= 0) {
      system_ |= static_cast<uint8_t>(1u << bit);
    } else if (!f.empty()) {
      if (!words.empty()) words += ' ';
      words += f;
    }
  }
  keywords_ = words.empty() ? nullptr : std::make_unique<std::string>(std::move(words));
}

bool SnapshotMessage::SameFlags(const SnapshotMessage& other) const {
  return system_ == other.system_ && keywords() == other.keywords();
}

bool SnapshotMessage::HasFlag(std::string_view flag) const {
  const int bit = SystemFlagBit(flag);
  if (bit >= 0) return (system_ & (1u << bit)) != 0;
  for (absl::string_view word : absl::StrSplit(
           absl::string_view(keywords().data(), keywords().size()), ' ', absl::SkipEmpty())) {
    if (absl::EqualsIgnoreCase(word, absl::string_view(flag.data(), flag.size()))) return true;
  }
  return false;
}

std::string SnapshotMessage::FlagList() const {
  std::string out;
  for (int i = 0; i < 5; ++i) {
    if ((system_ & (1u << i)) == 0) continue;
    if (!out.empty()) out += ' ';
    out.append(kSystemFlags[i]);
  }
  if (keywords_) {
    if (!out.empty()) out += ' ';
    out += *keywords_;
  }
  return out;
}

std::string FormatFlags(const SnapshotMessage& message, bool recent) {
  std::string list = message.FlagList();
  if (!recent) return absl::StrCat("(", list, ")");
  if (list.empty()) return "(\\Recent)";
  return absl::StrCat("(\\Recent ", list, ")");
}

namespace {

// Removes the messages whose UID is `gone` and returns their "n EXPUNGE" responses,
// highest number first so every number is right when the client reads it.
std::string RemoveMessages(SelectedMailbox* box, const std::function<bool(uint32_t)>& gone) {
  std::string out;
  size_t kept = 0;
  std::vector<size_t> expunged;  // 0-based indexes, ascending
  for (size_t i = 0; i < box->messages.size(); ++i) {
    if (gone(box->messages[i].uid())) {
      expunged.push_back(i);
    } else {
      if (kept != i) box->messages[kept] = std::move(box->messages[i]);
      ++kept;
    }
  }
  // From the highest sequence number down, so earlier numbers stay valid.
  for (size_t j = expunged.size(); j-- > 0;) {
    absl::StrAppend(&out, "* ", expunged[j] + 1, " EXPUNGE\r\n");
  }
  box->messages.resize(kept);
  // RFC 5182 §2.1: expunged messages drop out of the saved search result.
  if (!expunged.empty() && !box->saved_uids.empty()) {
    std::vector<uint32_t>& saved = box->saved_uids;
    saved.erase(std::remove_if(saved.begin(), saved.end(), gone), saved.end());
  }
  return out;
}

}  // namespace

std::string ApplySnapshot(SelectedMailbox* box, const v1::ListMessagesResponse& fresh, bool rev1) {
  // What `fresh` says about the messages we hold: the listed state of each listed one,
  // and which are gone. A full list names every message; a delta names the changed
  // ones, and the survivors only when something was expunged.
  std::unordered_map<uint32_t, const v1::MessageInfo*> by_uid;
  by_uid.reserve(static_cast<size_t>(fresh.messages_size()));
  for (const auto& m : fresh.messages()) by_uid[m.uid()] = &m;
  const bool delta = fresh.delta();
  auto gone = [&](uint32_t uid) {
    if (!delta) return by_uid.count(uid) == 0;
    if (fresh.has_present_uids()) {
      return !std::binary_search(fresh.present_uids().begin(), fresh.present_uids().end(), uid);
    }
    return std::binary_search(fresh.expunged_uids().begin(), fresh.expunged_uids().end(), uid);
  };
  std::string out;
  if (!delta || fresh.has_present_uids() || fresh.expunged_uids_size() > 0) {
    out = RemoveMessages(box, gone);
  }
  // Flag changes made by other sessions.
  for (size_t i = 0; i < box->messages.size(); ++i) {
    auto it = by_uid.find(box->messages[i].uid());
    if (it == by_uid.end()) continue;  // unchanged (delta)
    SnapshotMessage now(*it->second);
    if (!now.SameFlags(box->messages[i])) {
      box->messages[i] = std::move(now);
      const SnapshotMessage& m = box->messages[i];
      absl::StrAppend(&out, "* ", i + 1, " FETCH (FLAGS ",
                      FormatFlags(m, rev1 && box->IsRecent(m.uid())), ")\r\n");
    }
  }
  // New mail: UIDs above everything we know.
  uint32_t known = box->max_uid();
  size_t before = box->messages.size();
  for (const auto& m : fresh.messages()) {
    if (m.uid() > known) box->messages.emplace_back(m);
  }
  if (box->messages.size() != before) {
    if (rev1 && fresh.first_recent_uid() != 0) {
      box->AddRecent(std::max(fresh.first_recent_uid(), known + 1), box->max_uid());
    }
    absl::StrAppend(&out, "* ", box->messages.size(), " EXISTS\r\n");
    // RFC 3501 §7.3.2: RECENT goes with the new size whenever new mail arrives.
    if (rev1) absl::StrAppend(&out, "* ", box->RecentCount(), " RECENT\r\n");
  }
  box->uidnext = fresh.uidnext();
  box->highest_modseq = fresh.highest_modseq();
  return out;
}

void DeltaRequest(const SelectedMailbox& box, v1::ListMessagesRequest* request) {
  if (box.highest_modseq == 0) return;
  request->set_changed_since(box.highest_modseq);
  request->set_known_max_uid(box.max_uid());
}

bool DeltaAccountsForExpunges(const SelectedMailbox& box, const v1::ListMessagesResponse& fresh) {
  if (!fresh.delta() || fresh.has_present_uids()) return true;
  uint32_t left = box.count();
  for (uint32_t uid : fresh.expunged_uids()) {
    auto it = std::lower_bound(box.messages.begin(), box.messages.end(), uid,
                               [](const SnapshotMessage& m, uint32_t u) { return m.uid() < u; });
    if (it != box.messages.end() && it->uid() == uid) --left;
  }
  return left == fresh.known_max_count();
}

}  // namespace mail::imap_access
