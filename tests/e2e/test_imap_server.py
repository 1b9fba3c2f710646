"""End-to-end tests of the IMAP server's write side against the real suite.

imaplib sessions over the real mailbox-store and PostgreSQL: CREATE/RENAME (also of
INBOX)/DELETE/SUBSCRIBE/STATUS/NAMESPACE, modified UTF-7 names, APPEND with flags and a
date (APPENDUID), STORE and \\Seen on FETCH, SEARCH and ESEARCH, COPY/MOVE (COPYUID),
EXPUNGE and quota accounting (GETQUOTAROOT); two sessions where one IDLEs while the other
delivers through SMTP and expunges; and a sync with mbsync (isync) that downloads, flags
and deletes, after which a second sync changes nothing.
Run: /usr/bin/python3 tests/e2e/test_imap_server.py -v
"""

import imaplib
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "imap-access")
PASSWORD = "imap secret"
USERS = ("anna", "ben", "cleo", "dora", "emil", "fay", "gus", "hana", "ivo", "jun")



def make_message(token, subject=None):
    return (f"From: Sender <sender@elsewhere.test>\r\nTo: <someone@example.test>\r\n"
            f"Subject: {subject or token}\r\nDate: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
            f"Message-ID: <{token}@elsewhere.test>\r\n\r\nHello {token}.\r\nBye\r\n")


MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class ImapServerTest(harness.ImapSessions, unittest.TestCase):
    PASSWORD = PASSWORD

    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "imap-access": ["--auth_failure_delay=0s", "--allow_plaintext_auth"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in USERS:
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input=PASSWORD).check_returncode()

    def deliver(self, user, subject=None):
        text = make_message(uuid.uuid4().hex, subject)
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            self.assertEqual(smtp.sendmail("sender@elsewhere.test", [f"{user}@example.test"],
                                           text), {})
        return text

    def test_fetch_structure_of_a_multipart_delivery(self):
        text = ("From: Sender <sender@elsewhere.test>\r\nTo: <gus@example.test>\r\n"
                "Subject: Two parts\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFirst part\r\n"
                "--b1\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\naGkgdGhlcmU=\r\n--b1--\r\n")
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            self.assertEqual(smtp.sendmail("sender@elsewhere.test", ["gus@example.test"], text),
                             {})
        imap = self.imap("gus")
        self.ok(imap.select("INBOX"))
        data = self.ok(imap.fetch("1", "(ENVELOPE BODYSTRUCTURE)"))
        line = data[0].decode()
        self.assertIn('"Two parts"', line)
        self.assertIn('("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 0', line)
        self.assertIn('("application" "octet-stream" NIL NIL NIL "base64" 12', line)
        self.assertIn('"mixed" ("boundary" "b1")', line)
        data = self.ok(imap.fetch("1", "(BODY.PEEK[2] BODY.PEEK[1] BINARY.PEEK[2])"))
        self.assertEqual(data[0][1], b"aGkgdGhlcmU=")
        self.assertEqual(data[1][1], b"First part")
        self.assertEqual(data[2][1], b"hi there")
        # APPEND stores the structure too (mailbox-store append.cc), like delivery.
        self.ok(imap.append("INBOX", None, None, text.encode()))
        stored = self.suite.pg.psql(
            "SELECT count(*) FROM mailstore.messages WHERE parts IS NOT NULL AND "
            "convert_from(envelope, 'UTF8') LIKE '%Two parts%' AND "
            "convert_from(bodystructure, 'UTF8') LIKE '%\"boundary\" \"b1\"%'")
        self.assertEqual(int(stored.strip()), 2)
        data = self.ok(imap.fetch("2", "(ENVELOPE BODY)"))
        self.assertIn('"Two parts"', data[0].decode())

    def test_mailbox_management(self):
        imap = self.imap("anna")
        self.assertIn(b"NAMESPACE", self.ok(imap.capability())[0].split())
        self.ok(imap.create("Work/Projects"))
        data = self.ok(imap.list('""', "*"))
        self.assertIn(b'(\\HasChildren) "/" Work', data)
        self.assertIn(b'(\\HasNoChildren) "/" Work/Projects', data)
        self.assertIn(b'(\\HasNoChildren \\Sent) "/" Sent', data)
        self.assertEqual(imap.create("Work")[0], "NO")
        self.ok(imap.rename("Work", "Job"))
        data = self.ok(imap.list('""', "Job*"))
        self.assertEqual(len(data), 2, data)
        self.ok(imap.unsubscribe("Job"))
        subscribed = self.ok(imap.lsub('""', "*"))
        self.assertFalse(any(d.endswith(b'"/" Job') for d in subscribed), subscribed)
        self.ok(imap.subscribe("Job"))
        self.ok(imap.delete("Job/Projects"))
        self.assertEqual(imap.delete("INBOX")[0], "NO")
        # Modified UTF-7 (RFC 3501 §5.1.3) round trip: "Entwürfe".
        self.ok(imap.create("Entw&APw-rfe"))
        self.assertIn(b'"/" Entw&APw-rfe', self.ok(imap.list('""', "Entw*"))[0])
        # A mailbox deleted and created again gets a new UIDVALIDITY (RFC 3501 §2.3.1.1).
        self.ok(imap.create("Tmp"))
        first = self.ok(imap.status("Tmp", "(UIDVALIDITY)"))[0]
        self.ok(imap.delete("Tmp"))
        self.ok(imap.create("Tmp"))
        self.assertNotEqual(self.ok(imap.status("Tmp", "(UIDVALIDITY)"))[0], first)
        # RENAME INBOX moves its messages and leaves INBOX empty (RFC 3501 §6.3.5).
        self.deliver("anna")
        self.deliver("anna")
        self.ok(imap.rename("INBOX", "Old"))
        self.assertIn(b"MESSAGES 2", self.ok(imap.status("Old", "(MESSAGES UNSEEN SIZE)"))[0])
        self.assertIn(b"MESSAGES 0", self.ok(imap.status("INBOX", "(MESSAGES)"))[0])
        data = self.ok(imap.select("Old"))
        self.assertEqual(data, [b"2"])
        self.assertEqual(len(self.ok(imap.fetch("1:2", "(BODY.PEEK[HEADER])"))), 4)

    def test_append_store_search_copy_move_expunge(self):
        imap = self.imap("ben")
        body = make_message("appended", "Quarterly report").encode()
        typ, data = imap.append("INBOX", "(\\Flagged $Work)", imaplib.Time2Internaldate(
            1700000000), body)
        self.assertEqual(typ, "OK", data)
        self.assertRegex(imap.untagged_responses.get("APPENDUID", [b""])[-1] or b"", rb"^\d+ 1$")
        self.deliver("ben", "Lunch on Friday")
        self.assertEqual(self.ok(imap.select("INBOX")), [b"2"])
        data = self.ok(imap.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE)"))[0]
        self.assertIn(b"\\Flagged", data)
        self.assertIn(b"$Work", data)
        self.assertIn(b'"14-Nov-2023 22:13:20 +0000"', data)
        self.assertIn(f"RFC822.SIZE {len(body)}".encode(), data)
        # FETCH BODY[] (not PEEK) sets \Seen and says so.
        data = self.ok(imap.fetch("2", "(BODY[TEXT])"))
        self.assertIn(b"\\Seen", b"".join(p if isinstance(p, bytes) else p[0] for p in data))
        self.assertEqual(self.ok(imap.search(None, "UNSEEN")), [b"1"])
        self.assertEqual(self.ok(imap.search(None, "SUBJECT", '"lunch ON"')), [b"2"])
        self.assertEqual(self.ok(imap.search(None, "BODY", "appended")), [b"1"])
        self.assertEqual(self.ok(imap.search(None, "KEYWORD", "$Work")), [b"1"])
        self.assertEqual(self.ok(imap.search(None, "SENTON", "1-Jul-2025")), [b"1 2"])
        self.assertEqual(self.ok(imap.search(None, "BEFORE", "1-Jan-2024")), [b"1"])
        self.assertEqual(self.ok(imap.uid("SEARCH", "LARGER", "1")), [b"1 2"])
        typ, data = imap._simple_command("SEARCH", "RETURN", "(MIN COUNT)", "ALL")
        self.assertEqual(typ, "OK")
        self.assertIn(b"MIN 1 COUNT 2", imap.untagged_responses.get("ESEARCH", [b""])[-1])
        # STORE: flags stick, keywords too.
        data = self.ok(imap.store("1", "-FLAGS", "(\\Flagged)"))
        self.assertNotIn(b"\\Flagged", data[0])
        self.ok(imap.store("1:2", "+FLAGS", "(\\Answered)"))
        self.assertEqual(self.ok(imap.search(None, "ANSWERED")), [b"1 2"])
        # COPY charges the quota, MOVE does not.
        quota_before = self.quota_used(imap)
        typ, data = imap.copy("1:2", "Trash")
        self.assertEqual(typ, "OK", data)
        self.assertGreater(self.quota_used(imap), quota_before)
        typ, data = imap.copy("1", "Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])
        self.ok(imap.create("Archive2"))
        typ, data = imap._simple_command("UID", "MOVE", "2", "Archive2")
        self.assertEqual(typ, "OK", data)
        self.assertIn(b"MESSAGES 1", self.ok(imap.status("Archive2", "(MESSAGES)"))[0])
        self.assertIn(b"MESSAGES 2", self.ok(imap.status("Trash", "(MESSAGES)"))[0])
        # EXPUNGE gives the quota back.
        used = self.quota_used(imap)
        self.ok(imap.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
        self.ok(imap.expunge())
        self.assertEqual(self.ok(imap.search(None, "ALL")), [b""])
        self.assertLess(self.quota_used(imap), used)

    def quota_used(self, imap):
        typ, data = imap.getquotaroot("INBOX")
        self.assertEqual(typ, "OK", data)
        used = [0]
        for line in data[1] if len(data) > 1 else []:
            m = re.search(rb"STORAGE (\d+)", line or b"")
            if m:
                used = [int(m.group(1))]
        # No quota limit means no STORAGE resource: fall back to STATUS SIZE of all boxes.
        if used == [0]:
            total = 0
            for box in ("INBOX", "Trash", "Archive2"):
                typ, st = imap.status(box, "(SIZE)")
                if typ == "OK":
                    total += int(re.search(rb"SIZE (\d+)", st[0]).group(1))
            return total
        return used[0]

    def test_search_header_keys_run_in_the_store_on_decoded_fields(self):
        imap = self.imap("emil")
        self.deliver("emil", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=")
        self.deliver("emil", "Plain subject")
        self.ok(imap.select("INBOX"))

        def rpcs(method):
            return self.suite.metric("mailbox-store", "mailsuite_mailbox_store_rpcs_total",
                                     method=method, code="OK") or 0

        searches, bodies = rpcs("SearchMessages"), rpcs("FetchBodies") + rpcs("FetchBody")
        # The encoded word is decoded before matching: raw text has "Gr=C3=BC".
        imap.literal = "GRÜSSE".encode()  # ß does not fold to SS: no match
        self.assertEqual(self.ok(imap.search("UTF-8", "SUBJECT")), [b""])
        imap.literal = "grüße AUS".encode()
        self.assertEqual(self.ok(imap.search("UTF-8", "SUBJECT")), [b"1"])
        imap.literal = "GRÜßE AUS KÖLN".encode()  # Unicode letters fold too
        self.assertEqual(self.ok(imap.search("UTF-8", "SUBJECT")), [b"1"])
        self.assertEqual(self.ok(imap.search(None, "OR", "SUBJECT", "plain", "FROM",
                                             "nobody")), [b"2"])
        self.assertEqual(self.ok(imap.search(None, "HEADER", "Message-ID", '""')), [b"1 2"])
        self.assertEqual(self.ok(imap.search(None, "NOT", "HEADER", "X-Absent", '""')),
                         [b"1 2"])
        self.assertEqual(rpcs("SearchMessages"), searches + 6)
        self.assertEqual(rpcs("FetchBodies") + rpcs("FetchBody"), bodies)  # no body read
        # BODY and TEXT match the decoded text: quoted-printable here.
        qp = ("From: <sender@elsewhere.test>\r\nTo: <emil@example.test>\r\nSubject: qp\r\n"
              "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\nViele Gr=C3=BC=C3=9Fe aus "
              "K=C3=B6ln\r\n")
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            smtp.sendmail("sender@elsewhere.test", ["emil@example.test"], qp)
        self.ok(imap.noop())
        imap.literal = "GRÜßE AUS KÖLN".encode()
        self.assertEqual(self.ok(imap.search("UTF-8", "BODY")), [b"3"])
        imap.literal = "grüße aus".encode()
        self.assertEqual(self.ok(imap.search("UTF-8", "TEXT")), [b"1 3"])  # 1: its Subject
        # Messages stored before the fields were kept (older versions) get them on the
        # first search, once.
        emil = ("account_id = (SELECT id FROM mailstore.accounts WHERE local_part = 'emil')")
        self.suite.pg.psql(f"UPDATE mailstore.messages SET header_fields = NULL WHERE {emil}")
        self.assertEqual(self.ok(imap.search(None, "SUBJECT", "plain")), [b"2"])
        self.assertEqual(self.suite.pg.psql(
            f"SELECT count(*) FROM mailstore.messages WHERE header_fields IS NULL AND {emil}"
        ).strip(), "0")

    def test_noop_brings_expunges_flags_and_new_mail_from_another_session(self):
        reader = self.imap("fay")
        writer = self.imap("fay")
        for i in range(4):
            self.deliver("fay", f"note {i}")
        self.assertEqual(self.ok(reader.select("INBOX")), [b"4"])
        self.ok(writer.select("INBOX"))
        self.ok(writer.store("1,3", "+FLAGS.SILENT", "(\\Deleted)"))
        self.ok(writer.expunge())
        self.ok(writer.store("1", "+FLAGS.SILENT", "(\\Flagged)"))  # UID 2
        self.deliver("fay", "note 4")
        reader.untagged_responses.clear()
        typ, data = reader._simple_command("NOOP")
        self.assertEqual(typ, "OK")
        # Highest sequence number first, then the flags and the size under the new numbers.
        self.assertEqual(reader.untagged_responses.pop("EXPUNGE", None), [b"3", b"1"])
        fetched = reader.untagged_responses.pop("FETCH", [])
        self.assertTrue(any(f.startswith(b"1 (FLAGS (") and b"\\Flagged" in f for f in fetched),
                        fetched)
        self.assertEqual(reader.untagged_responses.pop("EXISTS", None), [b"3"])
        self.assertEqual(self.ok(reader.uid("SEARCH", "ALL")), [b"2 4 5"])
        # Nothing changed since: NOOP says nothing.
        reader.untagged_responses.clear()
        self.ok(reader._simple_command("NOOP"))
        self.assertNotIn("EXISTS", reader.untagged_responses)
        self.assertNotIn("EXPUNGE", reader.untagged_responses)
        # Expunge tombstones are kept only for a while: without them the reader still
        # finds out, from the count, and lists the UIDs.
        self.ok(writer.store("2", "+FLAGS.SILENT", "(\\Deleted)"))  # UID 4
        self.ok(writer.expunge())
        self.assertEqual(self.suite.pg.psql(
            "SELECT count(*) FROM mailstore.expunged e JOIN mailstore.mailboxes b ON b.id = "
            "e.mailbox_id JOIN mailstore.accounts a ON a.id = b.account_id WHERE "
            "a.local_part = 'fay' AND e.uid IN (1, 3, 4)").strip(), "3")
        self.suite.pg.psql("DELETE FROM mailstore.expunged")
        reader.untagged_responses.clear()
        self.ok(reader._simple_command("NOOP"))
        self.assertEqual(reader.untagged_responses.pop("EXPUNGE", None), [b"2"])
        self.assertEqual(self.ok(reader.uid("SEARCH", "ALL")), [b"2 5"])

    def test_deleting_a_mailbox_keeps_its_subscription(self):
        # RFC 3501 §6.3.6: the server MUST NOT remove a name from the subscription list
        # because the mailbox no longer exists.
        imap = self.imap("ivo")
        self.ok(imap.create("Projects/Old"))
        self.ok(imap.delete("Projects/Old"))
        self.assertIn(b'(\\HasNoChildren \\Noselect) "/" Projects/Old',
                      b"".join(self.ok(imap.lsub('""', "*"))))
        data = b"".join(self.ok(imap._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"'))
                        and imap.untagged_responses.pop("LIST", []))
        self.assertIn(b'(\\HasNoChildren \\NonExistent \\Subscribed) "/" Projects/Old', data)
        # Plain LIST does not show it; SELECT finds nothing.
        self.assertNotIn(b"Projects/Old", b"".join(self.ok(imap.list('""', "*"))))
        self.assertEqual(imap.select("Projects/Old")[0], "NO")
        # Created again, the mailbox is subscribed (once); UNSUBSCRIBE of a name without
        # a mailbox works too.
        self.ok(imap.create("Projects/Old"))
        self.assertEqual(
            b"".join(self.ok(imap.lsub('""', "Projects/Old"))).count(b"Projects/Old"), 1)
        self.ok(imap.delete("Projects/Old"))
        self.ok(imap.unsubscribe("Projects/Old"))
        self.assertNotIn(b"Projects/Old", b"".join(x for x in self.ok(imap.lsub('""', "*")) if x))
        self.assertEqual(imap.unsubscribe("Projects/Old")[0], "NO")

    def test_select_starts_from_the_cached_snapshot(self):
        def lists(kind):
            return self.suite.metric("imap-access", "mailsuite_imap_access_mailbox_lists_total",
                                     kind=kind) or 0

        first = self.imap("hana")
        for i in range(3):
            self.deliver("hana", f"cached {i}")
        self.assertEqual(self.ok(first.select("INBOX")), [b"3"])
        # Meanwhile: one expunged, one flagged, one new.
        self.ok(first.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
        self.ok(first.expunge())
        self.ok(first.store("1", "+FLAGS.SILENT", "(\\Flagged)"))  # UID 2
        self.deliver("hana", "cached 3")
        full, delta = lists("full"), lists("delta")
        second = self.imap("hana")
        self.assertEqual(self.ok(second.select("INBOX")), [b"3"])
        self.assertEqual(lists("delta"), delta + 1)  # a delta on the cached snapshot
        self.assertEqual(lists("full"), full)
        self.assertEqual(self.ok(second.uid("SEARCH", "ALL")), [b"2 3 4"])
        self.assertEqual(self.ok(second.uid("SEARCH", "FLAGGED")), [b"2"])
        # The same name for another mailbox (another UIDVALIDITY): listed whole.
        self.ok(second.create("Notes"))
        self.ok(second.append("Notes", None, None, make_message("n1").encode()))
        self.ok(second.select("Notes"))
        self.ok(second.select("INBOX"))
        self.ok(second.delete("Notes"))
        self.ok(second.create("Notes"))
        full = lists("full")
        self.assertEqual(self.ok(second.select("Notes")), [b"0"])
        self.assertEqual(lists("full"), full + 1)

    def raw_imap(self):
        """A plain socket to the IMAP port past the greeting: (socket, its reader, and a
        command(line) that sends a line and returns the lines up to its tagged reply)."""
        sock = socket.create_connection(("127.0.0.1", self.suite.ports["imap"]), timeout=10)
        self.addCleanup(sock.close)
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))

        def command(line):
            sock.sendall(line + b"\r\n")
            tag = line.split(b" ")[0]
            lines = []
            while True:
                got = f.readline()
                lines.append(got)
                if got.startswith(tag + b" "):
                    return lines
        return sock, f, command

    def test_idle_sees_delivery_and_expunge_from_another_session(self):
        idler, f, command = self.raw_imap()

        self.assertIn(b"OK", command(b'a LOGIN cleo@example.test "imap secret"')[-1])
        self.assertIn(b"OK", command(b"b SELECT INBOX")[-1])
        idler.sendall(b"c IDLE\r\n")
        self.assertEqual(f.readline(), b"+ idling\r\n")
        self.deliver("cleo")
        accepted = time.monotonic()  # after SMTP 250
        self.assertEqual(f.readline(), b"* 1 EXISTS\r\n")
        # Pushed through LISTEN/NOTIFY and WatchMailbox (a poll would take up to 500 ms).
        self.assertLess(time.monotonic() - accepted, 0.3)
        # imap-access measures its own part of that (change heard -> news written).
        self.assertGreaterEqual(self.suite.metric(
            "imap-access", "mailsuite_imap_access_idle_push_seconds_count") or 0, 1)
        # The idler saw it first, so it is \Recent there (RFC 3501 §2.3.2).
        self.assertEqual(f.readline(), b"* 1 RECENT\r\n")
        # The other session expunges it.
        other = self.imap("cleo")
        self.ok(other.select("INBOX"))
        self.ok(other.store("1", "+FLAGS", "(\\Deleted)"))
        self.assertEqual(f.readline(), b"* 1 FETCH (FLAGS (\\Recent \\Deleted))\r\n")
        self.ok(other.expunge())
        self.assertEqual(f.readline(), b"* 1 EXPUNGE\r\n")
        idler.sendall(b"DONE\r\n")
        self.assertEqual(f.readline(), b"c OK IDLE terminated\r\n")

    def test_idle_sessions_share_one_read_of_each_change(self):
        self.deliver("jun", "already here")

        def idler(rev2=False):
            sock, f, command = self.raw_imap()
            self.assertIn(b" OK", command(b'a LOGIN jun@example.test "imap secret"')[-1])
            if rev2:
                self.assertIn(b" OK", command(b"e ENABLE IMAP4rev2")[-1])
            self.assertIn(b" OK", command(b"b SELECT INBOX")[-1])
            sock.sendall(b"c IDLE\r\n")
            self.assertEqual(f.readline(), b"+ idling\r\n")
            return sock, f

        def shared():
            return self.suite.metric("imap-access", "mailsuite_imap_access_idle_changes_total",
                                     how="shared") or 0

        before = shared()
        # a claimed message 1 as \Recent at its SELECT; b and c (IMAP4rev2) did not.
        (a, fa), (b, fb), (c, fc) = idler(), idler(), idler(rev2=True)
        self.deliver("jun", "news")
        got = {}
        for name, f in (("a", fa), ("b", fb), ("c", fc)):
            self.assertEqual(f.readline(), b"* 2 EXISTS\r\n", name)
            if name != "c":
                line = f.readline()
                self.assertRegex(line, rb"^\* \d RECENT\r\n$", name)
                got[name] = int(line.split()[1])
        # Message 2 is \Recent in exactly one of the rev1 sessions (RFC 3501 §2.3.2).
        self.assertEqual(got["a"] + got["b"], 2, got)
        other = self.imap("jun")
        self.ok(other.select("INBOX"))
        self.ok(other.store("1", "+FLAGS", "(\\Flagged)"))
        for name, f in (("a", fa), ("b", fb), ("c", fc)):
            self.assertRegex(f.readline(), rb"^\* 1 FETCH \(FLAGS \((\\Recent )?\\Flagged\)\)",
                             name)
        self.ok(other.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
        for f in (fa, fb, fc):
            self.assertIn(b"\\Deleted", f.readline())
        self.ok(other.expunge())
        for name, f in (("a", fa), ("b", fb), ("c", fc)):
            self.assertEqual(f.readline(), b"* 1 EXPUNGE\r\n", name)
        # Each change reached the three sessions as one read made for all of them.
        self.assertGreaterEqual(shared() - before, 4 * 3)
        for sock, f, tag in ((a, fa, b"c"), (b, fb, b"c"), (c, fc, b"c")):
            sock.sendall(b"DONE\r\n")
            self.assertEqual(f.readline(), tag + b" OK IDLE terminated\r\n")

    @unittest.skipIf(shutil.which("mbsync") is None, "mbsync (Debian isync) is not installed")
    def test_mbsync_downloads_flags_deletes_then_changes_nothing(self):
        for i in range(3):
            self.deliver("dora", f"sync {i}")
        home = tempfile.mkdtemp(prefix="mbsync-")
        self.addCleanup(shutil.rmtree, home, True)
        maildir = os.path.join(home, "mail")
        os.makedirs(maildir)
        config = os.path.join(home, "mbsyncrc")
        with open(config, "w") as out:
            out.write(f"""IMAPAccount test
Host 127.0.0.1
Port {self.suite.ports['imap']}
User dora@example.test
Pass "{PASSWORD}"
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account test

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel test
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")

        def sync():
            result = subprocess.run(["mbsync", "-c", config, "-a"], capture_output=True,
                                    timeout=120, env=dict(os.environ, HOME=home))
            self.assertEqual(result.returncode, 0, result.stderr.decode())
            return result

        def local_files():
            found = {}
            for root, _, files in os.walk(maildir):
                for name in files:
                    if "/cur" in root or "/new" in root:
                        found[os.path.join(root, name)] = name
            return found

        sync()
        inbox = [p for p in local_files() if "/INBOX/" in p]
        self.assertEqual(len(inbox), 3, local_files())
        # Flag one locally, delete another, and sync again.
        inbox.sort()
        flagged, deleted = inbox[0], inbox[1]
        base = flagged.replace("/new/", "/cur/")
        os.rename(flagged, (base.split(":2,")[0] if ":2," in base else base) + ":2,F")
        os.unlink(deleted)
        sync()
        imap = self.imap("dora")
        self.assertEqual(self.ok(imap.select("INBOX")), [b"2"])
        self.assertEqual(len(self.ok(imap.search(None, "FLAGGED"))[0].split()), 1)
        before_local = sorted(local_files().values())
        before_server = self.ok(imap.fetch("1:*", "(UID FLAGS)"))
        sync()
        self.assertEqual(sorted(local_files().values()), before_local)
        self.ok(imap.noop())
        self.assertEqual(self.ok(imap.fetch("1:*", "(UID FLAGS)")), before_server)


if __name__ == "__main__":
    unittest.main()
