// Selected-mailbox snapshots; see selected.h.
#include "services/imap-access/selected.h"

#include <algorithm>
#include <atomic>
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

MessageList::MessageList(std::vector<SnapshotMessage> messages) {
  if (!messages.empty()) {
    list_ = std::make_shared<std::vector<SnapshotMessage>>(std::move(messages));
  }
}

namespace {

const std::vector<SnapshotMessage>& NoMessages() {
  static const auto* none = new std::vector<SnapshotMessage>();
  return *none;
}

}  // namespace

std::vector<SnapshotMessage>::const_iterator MessageList::begin() const {
  return list_ ? list_->cbegin() : NoMessages().cbegin();
}

std::vector<SnapshotMessage>::const_iterator MessageList::end() const {
  return list_ ? list_->cend() : NoMessages().cend();
}

std::vector<SnapshotMessage>& MessageList::Mutable() {
  if (!list_) {
    list_ = std::make_shared<std::vector<SnapshotMessage>>();
  } else if (list_.use_count() > 1) {
    list_ = std::make_shared<std::vector<SnapshotMessage>>(*list_);
  } else {
    // Sole holder: whoever dropped the last other reference (on another thread) is done
    // reading it; use_count() is a relaxed load, this orders those reads first.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *list_;
}

std::string FormatFlags(const SnapshotMessage& message, bool recent) {
  std::string list = message.FlagList();
  if (!recent) return absl::StrCat("(", list, ")");
  if (list.empty()) return "(\\Recent)";
  return absl::StrCat("(\\Recent ", list, ")");
}

MessageChange ComputeChange(const MessageList& before, const v1::ListMessagesResponse& fresh) {
  MessageChange change;
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
  const bool may_expunge = !delta || fresh.has_present_uids() || fresh.expunged_uids_size() > 0;
  const uint32_t known = before.empty() ? 0 : before.back().uid();
  // The new list is built only when something changed; otherwise `before` is shared on.
  std::vector<SnapshotMessage> after;
  bool changed = false;
  auto start_copy = [&](size_t upto) {
    if (changed) return;
    changed = true;
    after.reserve(before.size() + static_cast<size_t>(fresh.messages_size()));
    after.assign(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(upto));
  };
  for (size_t i = 0; i < before.size(); ++i) {
    const SnapshotMessage& m = before[i];
    if (may_expunge && gone(m.uid())) {
      start_copy(i);
      change.expunged_seqs.push_back(static_cast<uint32_t>(i + 1));
      change.expunged_uids.push_back(m.uid());
      continue;
    }
    auto it = by_uid.find(m.uid());
    if (it != by_uid.end()) {
      SnapshotMessage now(*it->second);
      if (!now.SameFlags(m)) {
        start_copy(i);
        change.flag_changed.push_back(static_cast<uint32_t>(after.size()));
        after.push_back(std::move(now));
        continue;
      }
    }
    if (changed) after.push_back(m);
  }
  // New mail: UIDs above everything we know.
  for (const auto& m : fresh.messages()) {
    if (m.uid() <= known) continue;
    start_copy(before.size());
    after.emplace_back(m);
  }
  if (changed) {
    for (auto it = after.rbegin(); it != after.rend() && it->uid() > known; ++it) {
      ++change.new_messages;
    }
    change.after = MessageList(std::move(after));
  } else {
    change.after = before;
  }
  std::reverse(change.expunged_seqs.begin(), change.expunged_seqs.end());
  change.uidnext = fresh.uidnext();
  change.highest_modseq = fresh.highest_modseq();
  return change;
}

std::string ApplyChange(SelectedMailbox* box, const MessageChange& change,
                        uint32_t first_recent_uid, bool rev1) {
  std::string out;
  // From the highest sequence number down, so earlier numbers stay valid.
  for (uint32_t seq : change.expunged_seqs) absl::StrAppend(&out, "* ", seq, " EXPUNGE\r\n");
  // RFC 5182 §2.1: expunged messages drop out of the saved search result.
  if (!change.expunged_uids.empty() && !box->saved_uids.empty()) {
    std::vector<uint32_t>& saved = box->saved_uids;
    saved.erase(std::remove_if(saved.begin(), saved.end(),
                               [&](uint32_t uid) {
                                 return std::binary_search(change.expunged_uids.begin(),
                                                           change.expunged_uids.end(), uid);
                               }),
                saved.end());
  }
  const uint32_t known = box->max_uid();
  box->messages = change.after;
  // Flag changes made by other sessions.
  for (uint32_t i : change.flag_changed) {
    const SnapshotMessage& m = box->messages[i];
    absl::StrAppend(&out, "* ", i + 1, " FETCH (FLAGS ",
                    FormatFlags(m, rev1 && box->IsRecent(m.uid())), ")\r\n");
  }
  if (change.new_messages > 0) {
    if (rev1 && first_recent_uid != 0) {
      box->AddRecent(std::max(first_recent_uid, known + 1), box->max_uid());
    }
    absl::StrAppend(&out, "* ", box->messages.size(), " EXISTS\r\n");
    // RFC 3501 §7.3.2: RECENT goes with the new size whenever new mail arrives.
    if (rev1) absl::StrAppend(&out, "* ", box->RecentCount(), " RECENT\r\n");
  }
  box->uidnext = change.uidnext;
  box->highest_modseq = change.highest_modseq;
  return out;
}

std::string ApplySnapshot(SelectedMailbox* box, const v1::ListMessagesResponse& fresh, bool rev1) {
  return ApplyChange(box, ComputeChange(box->messages, fresh), fresh.first_recent_uid(), rev1);
}

void DeltaRequest(const SelectedMailbox& box, v1::ListMessagesRequest* request) {
  if (box.highest_modseq == 0) return;
  request->set_changed_since(box.highest_modseq);
  request->set_known_max_uid(box.max_uid());
}

bool DeltaAccountsForExpunges(const SelectedMailbox& box, const v1::ListMessagesResponse& fresh) {
  return DeltaAccountsForExpunges(box, fresh, box.max_uid());
}

bool DeltaAccountsForExpunges(const SelectedMailbox& box, const v1::ListMessagesResponse& fresh,
                              uint32_t known_max_uid) {
  if (!fresh.delta() || fresh.has_present_uids()) return true;
  auto by_uid = [](const SnapshotMessage& m, uint32_t u) { return m.uid() < u; };
  // The messages up to known_max_uid, less those the delta says were expunged, must
  // be as many as the store counts up to it now (known_max_count).
  auto upto = std::upper_bound(box.messages.begin(), box.messages.end(), known_max_uid,
                               [](uint32_t u, const SnapshotMessage& m) { return u < m.uid(); });
  uint32_t left = static_cast<uint32_t>(upto - box.messages.begin());
  for (uint32_t uid : fresh.expunged_uids()) {
    if (uid > known_max_uid) continue;
    auto it = std::lower_bound(box.messages.begin(), upto, uid, by_uid);
    if (it != upto && it->uid() == uid) --left;
  }
  return left == fresh.known_max_count();
}

}  // namespace mail::imap_access
