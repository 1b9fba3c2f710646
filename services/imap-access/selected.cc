// Selected-mailbox snapshots; see selected.h.
#include "services/imap-access/selected.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mail::imap_access {

std::string FormatFlags(const v1::MessageInfo& message) {
  return absl::StrCat("(", absl::StrJoin(message.flags(), " "), ")");
}

bool HasFlag(const v1::MessageInfo& message, std::string_view flag) {
  for (const std::string& f : message.flags()) {
    if (absl::EqualsIgnoreCase(f, absl::string_view(flag.data(), flag.size()))) return true;
  }
  return false;
}

std::string ApplySnapshot(SelectedMailbox* box, const v1::ListMessagesResponse& fresh) {
  std::map<uint32_t, const v1::MessageInfo*> by_uid;
  for (const auto& m : fresh.messages()) by_uid[m.uid()] = &m;
  std::string out;
  // Expunged: from the highest sequence number down, so earlier numbers stay valid.
  for (size_t i = box->messages.size(); i-- > 0;) {
    if (by_uid.count(box->messages[i].uid()) == 0) {
      absl::StrAppend(&out, "* ", i + 1, " EXPUNGE\r\n");
      box->messages.erase(box->messages.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  // Flag changes made by other sessions.
  for (size_t i = 0; i < box->messages.size(); ++i) {
    const v1::MessageInfo& now = *by_uid[box->messages[i].uid()];
    if (!std::equal(now.flags().begin(), now.flags().end(), box->messages[i].flags().begin(),
                    box->messages[i].flags().end())) {
      box->messages[i] = now;
      absl::StrAppend(&out, "* ", i + 1, " FETCH (FLAGS ", FormatFlags(now), ")\r\n");
    }
  }
  // New mail: UIDs above everything we know.
  uint32_t known = box->max_uid();
  size_t before = box->messages.size();
  for (const auto& m : fresh.messages()) {
    if (m.uid() > known) box->messages.push_back(m);
  }
  if (box->messages.size() != before)
    absl::StrAppend(&out, "* ", box->messages.size(), " EXISTS\r\n");
  box->uidnext = fresh.uidnext();
  return out;
}

}  // namespace mail::imap_access
