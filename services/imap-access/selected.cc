// Selected-mailbox snapshots; see selected.h.
#include "services/imap-access/selected.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
  for (const v1::MessageInfo& m : messages) n += IsRecent(m.uid()) ? 1 : 0;
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

std::string FormatFlags(const v1::MessageInfo& message, bool recent) {
  if (!recent) return absl::StrCat("(", absl::StrJoin(message.flags(), " "), ")");
  if (message.flags().empty()) return "(\\Recent)";
  return absl::StrCat("(\\Recent ", absl::StrJoin(message.flags(), " "), ")");
}

bool HasFlag(const v1::MessageInfo& message, std::string_view flag) {
  for (const std::string& f : message.flags()) {
    if (absl::EqualsIgnoreCase(f, absl::string_view(flag.data(), flag.size()))) return true;
  }
  return false;
}

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
    if (!fresh.has_present_uids()) return false;
    return !std::binary_search(fresh.present_uids().begin(), fresh.present_uids().end(), uid);
  };
  std::string out;
  if (!delta || fresh.has_present_uids()) out = RemoveMessages(box, gone);
  // Flag changes made by other sessions.
  for (size_t i = 0; i < box->messages.size(); ++i) {
    auto it = by_uid.find(box->messages[i].uid());
    if (it == by_uid.end()) continue;  // unchanged (delta)
    const v1::MessageInfo& now = *it->second;
    if (!std::equal(now.flags().begin(), now.flags().end(), box->messages[i].flags().begin(),
                    box->messages[i].flags().end())) {
      box->messages[i] = now;
      absl::StrAppend(&out, "* ", i + 1, " FETCH (FLAGS ",
                      FormatFlags(now, rev1 && box->IsRecent(now.uid())), ")\r\n");
    }
  }
  // New mail: UIDs above everything we know.
  uint32_t known = box->max_uid();
  size_t before = box->messages.size();
  for (const auto& m : fresh.messages()) {
    if (m.uid() > known) box->messages.push_back(m);
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
  request->set_known_count(box.count());
}

}  // namespace mail::imap_access
