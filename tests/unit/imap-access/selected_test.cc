// Tests for selected-mailbox snapshots (services/imap-access/selected.h).
#include "services/imap-access/selected.h"

#include <catch2/catch.hpp>

namespace mail::imap_access {
namespace {

v1::MessageInfo Msg(uint32_t uid, std::vector<std::string> flags = {}) {
  v1::MessageInfo m;
  m.set_uid(uid);
  for (auto& f : flags) m.add_flags(f);
  return m;
}

SelectedMailbox Box(std::vector<v1::MessageInfo> messages) {
  SelectedMailbox box;
  box.name = "INBOX";
  for (const v1::MessageInfo& m : messages) box.messages.Mutable().emplace_back(m);
  return box;
}

v1::ListMessagesResponse Fresh(std::vector<v1::MessageInfo> messages, uint32_t uidnext) {
  v1::ListMessagesResponse r;
  r.set_uidvalidity(1);
  r.set_uidnext(uidnext);
  for (auto& m : messages) *r.add_messages() = m;
  return r;
}

TEST_CASE("imap-access selected: a snapshot message is small and keeps flags and keywords") {
  // 10,000 IDLE sessions × the messages of their mailbox: this is most of their memory.
  STATIC_REQUIRE(sizeof(SnapshotMessage) <= 32);
  v1::MessageInfo info = Msg(7, {"\\Seen", "$Work", "\\flagged", "Later"});
  info.set_size(4096);
  info.set_internal_date_unix(1700000000);
  SnapshotMessage m(info);
  CHECK(m.uid() == 7);
  CHECK(m.size() == 4096);
  CHECK(m.internal_date_unix() == 1700000000);
  // System flags in one fixed order (canonical case), then the keywords as listed.
  CHECK(m.FlagList() == "\\Flagged \\Seen $Work Later");
  CHECK(m.HasFlag("\\SEEN"));
  CHECK(m.HasFlag("$work"));
  CHECK_FALSE(m.HasFlag("\\Deleted"));
  CHECK_FALSE(m.HasFlag("Late"));
  CHECK(m.keywords() == "$Work Later");
  SnapshotMessage copy = m;  // deep copy of the keywords
  CHECK(copy.SameFlags(m));
  CHECK_FALSE(SnapshotMessage(Msg(7, {"\\Seen"})).SameFlags(m));
  CHECK(SnapshotMessage(Msg(7, {"Later", "$Work", "\\Seen", "\\Flagged"})).HasFlag("later"));
}

TEST_CASE("imap-access selected: nothing changed, nothing said") {
  SelectedMailbox box = Box({Msg(1), Msg(2)});
  CHECK(ApplySnapshot(&box, Fresh({Msg(1), Msg(2)}, 3)).empty());
  CHECK(box.count() == 2);
}

TEST_CASE("imap-access selected: expunges go highest sequence number first") {
  SelectedMailbox box = Box({Msg(1), Msg(2), Msg(3), Msg(4)});
  CHECK(ApplySnapshot(&box, Fresh({Msg(1), Msg(3)}, 5)) == "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  REQUIRE(box.count() == 2);
  CHECK(box.messages[1].uid() == 3);
}

TEST_CASE("imap-access selected: expunged messages leave the saved search result") {
  // RFC 5182 §2.1: "$" follows expunges; new mail does not join it.
  SelectedMailbox box = Box({Msg(1), Msg(2), Msg(3), Msg(4)});
  box.saved_uids = {1, 3, 4};
  ApplySnapshot(&box, Fresh({Msg(1), Msg(2), Msg(4), Msg(5)}, 6));
  CHECK(box.saved_uids == std::vector<uint32_t>{1, 4});
}

TEST_CASE("imap-access selected: new mail and flag changes") {
  SelectedMailbox box = Box({Msg(1), Msg(2)});
  std::string out = ApplySnapshot(&box, Fresh({Msg(2, {"\\Seen"}), Msg(5), Msg(6)}, 7));
  CHECK(out == "* 1 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Seen))\r\n* 3 EXISTS\r\n");
  CHECK(box.max_uid() == 6);
  CHECK(box.uidnext == 7);
  CHECK(HasFlag(box.messages[0], "\\seen"));
  CHECK(FormatFlags(box.messages[1]) == "()");
}

TEST_CASE("imap-access selected: new mail past the recent mark is Recent for rev1") {
  SelectedMailbox box = Box({Msg(1), Msg(2)});
  box.AddRecent(2, 2);  // SELECT claimed message 2
  v1::ListMessagesResponse fresh = Fresh({Msg(1), Msg(2), Msg(3), Msg(4)}, 5);
  // Another session claimed 3 before this one re-read the mailbox.
  fresh.set_first_recent_uid(4);
  std::string out = ApplySnapshot(&box, fresh, true);
  CHECK(out == "* 4 EXISTS\r\n* 2 RECENT\r\n");
  CHECK(!box.IsRecent(1));
  CHECK(box.IsRecent(2));
  CHECK(!box.IsRecent(3));
  CHECK(box.IsRecent(4));
  CHECK(box.RecentCount() == 2);
  CHECK(FormatFlags(box.messages[3], box.IsRecent(4)) == "(\\Recent)");
  CHECK(FormatFlags(SnapshotMessage(Msg(9, {"\\Seen"})), true) == "(\\Recent \\Seen)");
  // An expunged recent message no longer counts.
  out = ApplySnapshot(&box, Fresh({Msg(1), Msg(2), Msg(3)}, 5), true);
  CHECK(out == "* 4 EXPUNGE\r\n");
  CHECK(box.RecentCount() == 1);
}

TEST_CASE("imap-access selected: IMAP4rev2 sessions get no RECENT") {
  SelectedMailbox box = Box({Msg(1)});
  v1::ListMessagesResponse fresh = Fresh({Msg(1), Msg(2)}, 3);
  fresh.set_first_recent_uid(1);
  CHECK(ApplySnapshot(&box, fresh, false) == "* 2 EXISTS\r\n");
  CHECK(box.RecentCount() == 0);
}

TEST_CASE("imap-access selected: recent ranges merge") {
  SelectedMailbox box;
  box.AddRecent(3, 5);
  box.AddRecent(6, 9);
  box.AddRecent(12, 12);
  box.AddRecent(0, 4);  // 0: nothing
  CHECK(box.recent.size() == 2);
  CHECK(box.IsRecent(9));
  CHECK(!box.IsRecent(10));
  CHECK(box.IsRecent(12));
}

v1::ListMessagesResponse Delta(std::vector<v1::MessageInfo> changed, uint32_t uidnext,
                               uint64_t modseq, std::vector<uint32_t> present = {},
                               bool has_present = false) {
  v1::ListMessagesResponse r = Fresh(std::move(changed), uidnext);
  r.set_delta(true);
  r.set_highest_modseq(modseq);
  r.set_has_present_uids(has_present);
  for (uint32_t uid : present) r.add_present_uids(uid);
  return r;
}

TEST_CASE("imap-access selected: a delta asks for the changes since the last list") {
  SelectedMailbox box = Box({Msg(1), Msg(2), Msg(4)});
  v1::ListMessagesRequest request;
  DeltaRequest(box, &request);
  CHECK(request.changed_since() == 0);  // the store never told a modseq: full re-read
  box.highest_modseq = 17;
  DeltaRequest(box, &request);
  CHECK(request.changed_since() == 17);
  CHECK(request.known_max_uid() == 4);
}

TEST_CASE("imap-access selected: a delta without expunges keeps the unlisted messages") {
  SelectedMailbox box = Box({Msg(1), Msg(2), Msg(3)});
  box.highest_modseq = 5;
  // Message 2 changed, 7 is new; 1 and 3 are not listed and stay as they are.
  std::string out = ApplySnapshot(&box, Delta({Msg(2, {"\\Flagged"}), Msg(7)}, 8, 9));
  CHECK(out == "* 2 FETCH (FLAGS (\\Flagged))\r\n* 4 EXISTS\r\n");
  REQUIRE(box.count() == 4);
  CHECK(box.messages[0].uid() == 1);
  CHECK(box.messages[3].uid() == 7);
  CHECK(box.highest_modseq == 9);
  CHECK(box.uidnext == 8);
  // Our own STORE comes back in the next delta with the flags we already hold: silent.
  CHECK(ApplySnapshot(&box, Delta({Msg(2, {"\\Flagged"})}, 8, 10)).empty());
}

TEST_CASE("imap-access selected: a delta with present UIDs expunges the others") {
  SelectedMailbox box = Box({Msg(1), Msg(2), Msg(3), Msg(4)});
  box.highest_modseq = 5;
  box.saved_uids = {2, 4};
  std::string out = ApplySnapshot(&box, Delta({Msg(3, {"\\Seen"})}, 6, 8, {1, 3}, true));
  CHECK(out == "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 FETCH (FLAGS (\\Seen))\r\n");
  REQUIRE(box.count() == 2);
  CHECK(box.messages[1].uid() == 3);
  CHECK(box.saved_uids.empty());
  // Everything expunged: present list empty but given.
  out = ApplySnapshot(&box, Delta({}, 6, 9, {}, true));
  CHECK(out == "* 2 EXPUNGE\r\n* 1 EXPUNGE\r\n");
  CHECK(box.count() == 0);
}

TEST_CASE("imap-access selected: tombstones name the expunged, the count checks them") {
  SelectedMailbox box = Box({Msg(1), Msg(2), Msg(3), Msg(5)});
  box.highest_modseq = 5;
  v1::ListMessagesRequest request;
  DeltaRequest(box, &request);
  CHECK(request.changed_since() == 5);
  // 2 and 4 were expunged since; 4 we never held (our own EXPUNGE took it already).
  v1::ListMessagesResponse fresh = Delta({Msg(6)}, 7, 9);
  fresh.add_expunged_uids(2);
  fresh.add_expunged_uids(4);
  fresh.set_known_max_count(3);
  CHECK(DeltaAccountsForExpunges(box, fresh));
  CHECK(ApplySnapshot(&box, fresh) == "* 2 EXPUNGE\r\n* 4 EXISTS\r\n");
  REQUIRE(box.count() == 4);
  CHECK(box.messages[1].uid() == 3);
  // Tombstones dropped: the store counts fewer than they explain; ask for the UIDs.
  v1::ListMessagesResponse short_of_one = Delta({}, 7, 10);
  short_of_one.set_known_max_count(3);
  CHECK_FALSE(DeltaAccountsForExpunges(box, short_of_one));
}

TEST_CASE("imap-access selected: sessions holding one list share it, and a change once") {
  SelectedMailbox a = Box({Msg(1), Msg(2, {"\\Seen"}), Msg(3)});
  a.highest_modseq = 10;
  SelectedMailbox b = a;  // a second session, or the snapshot cache: the same list
  REQUIRE(b.messages.SameListAs(a.messages));
  // Nothing changed: the list stays shared.
  v1::ListMessagesResponse nothing = Fresh({}, 4);
  nothing.set_delta(true);
  nothing.set_highest_modseq(10);
  MessageChange none = ComputeChange(a.messages, nothing);
  CHECK(none.after.SameListAs(a.messages));
  CHECK(ApplyChange(&a, none, 0, false).empty());
  CHECK(a.messages.SameListAs(b.messages));
  // One computed change (1 expunged, 2 flagged, 4 new) serves both sessions, each with
  // its own \Recent: a claimed it (first_recent_uid 4), b reads after the claim (5).
  v1::ListMessagesResponse fresh = Fresh({Msg(2, {"\\Seen", "\\Flagged"}), Msg(4)}, 5);
  fresh.set_delta(true);
  fresh.set_highest_modseq(12);
  fresh.add_expunged_uids(1);
  const MessageList before = a.messages;
  MessageChange change = ComputeChange(before, fresh);
  CHECK(change.expunged_seqs == std::vector<uint32_t>{1});
  CHECK(change.flag_changed == std::vector<uint32_t>{0});
  CHECK(change.new_messages == 1);
  CHECK(ApplyChange(&a, change, 4, true) ==
        "* 1 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\n* 3 EXISTS\r\n* 1 RECENT\r\n");
  CHECK(ApplyChange(&b, change, 5, true) ==
        "* 1 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\n* 3 EXISTS\r\n* 0 RECENT\r\n");
  CHECK(a.messages.SameListAs(b.messages));
  CHECK(a.highest_modseq == 12);
  CHECK(b.uidnext == 5);
  // The list before the change is untouched (others may still hold it).
  REQUIRE(before.size() == 3);
  CHECK(before[0].uid() == 1);
  CHECK_FALSE(before[1].HasFlag("\\Flagged"));
  // A session changing its list in place gets its own copy first.
  a.messages.Mutable()[0].SetFlags(Fresh({Msg(2, {"\\Deleted"})}, 5).messages(0).flags());
  CHECK(a.messages[0].HasFlag("\\Deleted"));
  CHECK_FALSE(b.messages[0].HasFlag("\\Deleted"));
  CHECK_FALSE(a.messages.SameListAs(b.messages));
}

}  // namespace
}  // namespace mail::imap_access
