"""End-to-end tests of \\Recent, ENABLE IMAP4rev2 and LIST-EXTENDED / LIST-STATUS.

imaplib sessions over the real mailbox-store, PostgreSQL and smtp-ingress:
- \\Recent (RFC 3501 §2.3.2) across two sessions on two imap-access replicas: the first
  SELECT after a delivery gets the message as \\Recent (RECENT count, FETCH FLAGS, SEARCH
  RECENT), a second session selecting the same mailbox does not; new mail during a
  session arrives with RECENT; EXAMINE only looks; STATUS RECENT counts what no SELECT
  has claimed.
- ENABLE IMAP4rev2 (RFC 9051): * ENABLED IMAP4rev2, then no RECENT and no \\Recent,
  SEARCH answered with ESEARCH, SELECT with a LIST response, UTF-8 mailbox names.
- LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819).
- SEARCHRES (RFC 5182, in the base of RFC 9051): SEARCH RETURN (SAVE) and "$" in FETCH,
  STORE, COPY, SEARCH, UID forms; the saved result follows expunges and SELECT drops it.
- LIST \\Noselect / \\NonExistent for a DELETEd parent whose children stay, LSUB \\Noselect
  parents, and OLDNAME for a name IMAP4rev2 CREATE/RENAME normalised (RFC 9051 §7.3.1).
- BINARY (RFC 3516): APPEND of a literal8, refused with UNKNOWN-CTE when it holds NUL.
Run: /usr/bin/python3 tests/e2e/test_imap_rev2.py -v
"""

import imaplib
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "imap-access")
PASSWORD = "imap secret"
USERS = ("rita", "rob", "vera", "lars", "sara", "nina", "bea")



MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class ImapRev2Test(harness.ImapSessions, unittest.TestCase):
    PASSWORD = PASSWORD

    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "imap-access": ["--auth_failure_delay=0s", "--allow_plaintext_auth",
                            "--max_sessions_per_account=3"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in USERS:
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input=PASSWORD).check_returncode()
        cls.start_replica()

    @classmethod
    def start_replica(cls):
        """A second imap-access process on the same mailbox-store: \\Recent must hold
        across replicas (the mark lives in PostgreSQL)."""
        cls.replica_port = harness.free_port()
        cls.replica_metrics_port = harness.free_port()
        flags = [f"--imap_address=127.0.0.1:{cls.replica_port}", "--imaps_address=",
                 f"--grpc_address=127.0.0.1:{harness.free_port()}",
                 f"--metrics_address=127.0.0.1:{cls.replica_metrics_port}",
                 "--max_connections_per_ip=3",
                 f"--mailbox_store=127.0.0.1:{cls.suite.grpc['mailbox-store']}",
                 "--allow_plaintext_auth", "--auth_failure_delay=0s", "--log_level=warning"]
        log = open(os.path.join(cls.suite.dir, "log", "imap-access-replica.log"), "ab")
        cls.addClassCleanup(log.close)
        proc = subprocess.Popen([os.path.join(cls.suite.bin_dir, "imap-access")] + flags,
                                env=cls.suite.env(), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)

        def stop():
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
        cls.addClassCleanup(stop)
        if not harness.wait_port("127.0.0.1", cls.replica_port, 30, proc):
            raise RuntimeError("the imap-access replica did not start")

    def deliver(self, user):
        token = uuid.uuid4().hex
        text = (f"From: <sender@elsewhere.test>\r\nTo: <{user}@example.test>\r\n"
                f"Subject: {token}\r\nMessage-ID: <{token}@elsewhere.test>\r\n\r\nHi.\r\n")
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            self.assertEqual(smtp.sendmail("sender@elsewhere.test", [f"{user}@example.test"],
                                           text), {})

    def command(self, imap, *args):
        """Runs a command imaplib has no method for; returns (untagged lines, tagged)."""
        tag = imap._new_tag()
        imap.send(tag + b" " + " ".join(args).encode() + b"\r\n")
        lines = []
        while True:
            line = imap.readline()
            if line.startswith(tag + b" "):
                return lines, line.rstrip(b"\r\n")
            lines.append(line.rstrip(b"\r\n"))

    def test_recent_goes_to_the_first_select_only(self):
        self.deliver("rita")
        self.deliver("rita")
        # The two sessions are on different imap-access replicas.
        first, second = self.imap("rita"), self.imap("rita", self.replica_port)
        # EXAMINE looks without taking.
        self.assertEqual(self.ok(second.select("INBOX", readonly=True)), [b"2"])
        self.assertEqual(second.response("RECENT")[1], [b"2"])
        self.ok(second.unselect())
        self.assertIn(b"RECENT 2", self.ok(first.status("INBOX", "(RECENT)"))[0])
        # The first SELECT gets both as \Recent ...
        self.assertEqual(self.ok(first.select("INBOX")), [b"2"])
        self.assertEqual(first.response("RECENT")[1], [b"2"])
        self.assertIn(b"\\Recent", self.ok(first.fetch("1", "(FLAGS)"))[0])
        self.assertEqual(self.ok(first.search(None, "RECENT")), [b"1 2"])
        self.assertIn(b"RECENT 0", self.ok(second.status("INBOX", "(RECENT)"))[0])
        # ... the second does not.
        self.assertEqual(self.ok(second.select("INBOX")), [b"2"])
        self.assertEqual(second.response("RECENT")[1], [b"0"])
        self.assertNotIn(b"\\Recent", self.ok(second.fetch("1:2", "(FLAGS)"))[0])
        self.assertEqual(self.ok(second.search(None, "OLD")), [b"1 2"])
        # New mail: the session that looks first (NOOP) claims it.
        self.deliver("rita")
        self.ok(second.noop())
        self.assertEqual(second.response("EXISTS")[1][-1], b"3")
        self.assertEqual(second.response("RECENT")[1][-1], b"1")
        self.ok(first.noop())
        self.assertEqual(first.response("EXISTS")[1][-1], b"3")
        self.assertEqual(first.response("RECENT")[1][-1], b"2")
        self.assertEqual(self.ok(first.search(None, "RECENT")), [b"1 2"])
        self.assertEqual(self.ok(second.search(None, "RECENT")), [b"3"])
        # A third session selecting later sees nothing recent.
        third = self.imap("rita")
        self.ok(third.select("INBOX"))
        self.assertEqual(third.response("RECENT")[1], [b"0"])

    def test_enable_imap4rev2(self):
        self.deliver("rob")
        imap = self.imap("rob")
        self.assertIn("IMAP4REV2", imap.capabilities)
        lines, tagged = self.command(imap, "ENABLE", "IMAP4rev2")
        self.assertIn(b"OK", tagged)
        self.assertEqual(lines, [b"* ENABLED IMAP4rev2"])
        # Enabling it again enables nothing new.
        lines, _ = self.command(imap, "ENABLE", "IMAP4rev2", "UTF8=ACCEPT")
        self.assertEqual(lines, [b"* ENABLED"])
        # UTF-8 mailbox names, not modified UTF-7.
        lines, tagged = self.command(imap, "CREATE", '"Entwürfe"')
        self.assertIn(b"OK", tagged)
        lines, _ = self.command(imap, "LIST", '""', '"Entw*"')
        self.assertEqual(lines, ['* LIST (\\HasNoChildren) "/" "Entwürfe"'.encode()])
        # SELECT: no RECENT, no UNSEEN code, a LIST response.
        lines, tagged = self.command(imap, "SELECT", "INBOX")
        self.assertIn(b"OK [READ-WRITE]", tagged)
        self.assertIn(b'* LIST (\\HasNoChildren) "/" INBOX', lines)
        self.assertFalse([ln for ln in lines if b"RECENT" in ln or b"UNSEEN" in ln], lines)
        # No \Recent; SEARCH answers with ESEARCH; RECENT is no SEARCH key any more.
        lines, _ = self.command(imap, "FETCH", "1", "(FLAGS)")
        self.assertEqual(lines, [b"* 1 FETCH (FLAGS ())"])
        lines, tagged = self.command(imap, "SEARCH", "ALL")
        self.assertEqual(lines, [b'* ESEARCH (TAG "' + tagged.split()[0] + b'") ALL 1'])
        lines, tagged = self.command(imap, "UID", "SEARCH", "ALL")
        self.assertEqual(lines, [b'* ESEARCH (TAG "' + tagged.split()[0] + b'") UID ALL 1'])
        _, tagged = self.command(imap, "SEARCH", "RECENT")
        self.assertIn(b" BAD ", tagged)
        _, tagged = self.command(imap, "STATUS", "INBOX", "(RECENT)")
        self.assertIn(b" BAD ", tagged)
        lines, _ = self.command(imap, "STATUS", "INBOX", "(MESSAGES DELETED)")
        self.assertEqual(lines, [b"* STATUS INBOX (MESSAGES 1 DELETED 0)"])
        # New mail: EXISTS without RECENT.
        self.deliver("rob")
        lines, _ = self.command(imap, "NOOP")
        self.assertEqual(lines, [b"* 2 EXISTS"])
        # A rev1 session still gets both as \Recent: rev2 sessions claim nothing.
        other = self.imap("rob")
        self.ok(other.select("INBOX"))
        self.assertEqual(other.response("RECENT")[1], [b"2"])

    def test_list_extended_and_list_status(self):
        imap = self.imap("vera")
        self.ok(imap.create("Work/Projects"))
        self.ok(imap.create("Play"))
        self.ok(imap.unsubscribe("Work"))
        self.ok(imap.unsubscribe("Play"))
        self.deliver("vera")
        caps = imap.capabilities
        self.assertIn("LIST-EXTENDED", caps)
        self.assertIn("LIST-STATUS", caps)
        lines, _ = self.command(imap, "LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', "%")
        self.assertIn(b'* LIST (\\HasChildren) "/" Work ("CHILDINFO" ("SUBSCRIBED"))', lines)
        self.assertIn(b'* LIST (\\HasNoChildren \\Subscribed) "/" INBOX', lines)
        self.assertFalse([ln for ln in lines if ln.endswith(b" Play")], lines)
        lines, _ = self.command(imap, "LIST", '""', "(INBOX Work/*)", "RETURN",
                                "(SUBSCRIBED STATUS (MESSAGES UNSEEN))")
        self.assertEqual(lines, [
            b'* LIST (\\HasNoChildren \\Subscribed) "/" INBOX',
            b"* STATUS INBOX (MESSAGES 1 UNSEEN 1)",
            b'* LIST (\\HasNoChildren \\Subscribed) "/" Work/Projects',
            b"* STATUS Work/Projects (MESSAGES 0 UNSEEN 0)",
        ])
        lines, _ = self.command(imap, "LIST", "(SPECIAL-USE)", '""', "*")
        self.assertEqual(len(lines), 5, lines)  # Archive Drafts Junk Sent Trash
        _, tagged = self.command(imap, "LIST", "(RECURSIVEMATCH)", '""', "*")
        self.assertIn(b" BAD ", tagged)

    def test_searchres(self):
        for _ in range(4):
            self.deliver("sara")
        imap = self.imap("sara")
        lines, _ = self.command(imap, "CAPABILITY")
        self.assertIn(b" SEARCHRES ", lines[0])
        self.ok(imap.select("INBOX"))
        uids = self.ok(imap.uid("SEARCH", None, "ALL"))[0].split()
        self.assertEqual(len(uids), 4)
        # "$" before any SAVE is the empty set.
        lines, tagged = self.command(imap, "FETCH", "$", "(UID)")
        self.assertIn(b" OK ", tagged)
        self.assertEqual(lines, [])
        self.ok(imap.store("2,4", "+FLAGS", "(\\Flagged)"))
        # RETURN (SAVE) alone: no SEARCH/ESEARCH response.
        lines, tagged = self.command(imap, "SEARCH", "RETURN", "(SAVE)", "FLAGGED")
        self.assertIn(b" OK ", tagged)
        self.assertEqual(lines, [])
        lines, _ = self.command(imap, "FETCH", "$", "(UID)")
        self.assertEqual(lines, [b"* 2 FETCH (UID " + uids[1] + b")",
                                 b"* 4 FETCH (UID " + uids[3] + b")"])
        lines, _ = self.command(imap, "UID", "SEARCH", "UID", "$", "NOT", "4")
        self.assertEqual(lines, [b"* SEARCH " + uids[1]])
        # SAVE with MIN keeps only the minimum (RFC 5182 §2.4).
        lines, tagged = self.command(imap, "UID", "SEARCH", "RETURN", "(SAVE MIN)", "UNFLAGGED")
        self.assertEqual(lines, [b'* ESEARCH (TAG "' + tagged.split()[0] + b'") UID MIN ' +
                                 uids[0]])
        lines, _ = self.command(imap, "UID", "FETCH", "$", "(FLAGS)")
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith(b"* 1 FETCH (UID " + uids[0]), lines)
        # COPY, STORE and EXPUNGE through "$".
        self.command(imap, "SEARCH", "RETURN", "(SAVE)", "FLAGGED")
        lines, tagged = self.command(imap, "COPY", "$", "Trash")
        self.assertIn(b"OK [COPYUID ", tagged)
        self.assertIn(b" " + uids[1] + b"," + uids[3] + b" ", tagged)
        lines, _ = self.command(imap, "STORE", "$", "+FLAGS", "(\\Deleted)")
        self.assertEqual(len(lines), 2, lines)
        self.assertEqual(self.ok(imap.expunge()), [b"4", b"2"])
        lines, _ = self.command(imap, "SEARCH", "$")
        self.assertEqual(lines, [b"* SEARCH"])
        # Another session's expunge leaves the saved result too.
        self.command(imap, "SEARCH", "RETURN", "(SAVE)", "ALL")
        other = self.imap("sara")
        self.ok(other.select("INBOX"))
        self.ok(other.store("1", "+FLAGS", "(\\Deleted)"))
        self.ok(other.expunge())
        lines, _ = self.command(imap, "NOOP")
        self.assertIn(b"* 1 EXPUNGE", lines)
        lines, _ = self.command(imap, "UID", "SEARCH", "UID", "$")
        self.assertEqual(lines, [b"* SEARCH " + uids[2]])
        # A new SELECT starts with "$" empty.
        self.ok(imap.select("INBOX"))
        lines, _ = self.command(imap, "FETCH", "$", "(UID)")
        self.assertEqual(lines, [])
        # IMAP4rev2: the same, answered with ESEARCH.
        rev2 = self.imap("sara")
        lines, _ = self.command(rev2, "ENABLE", "IMAP4rev2")
        self.assertEqual(lines, [b"* ENABLED IMAP4rev2"])
        self.command(rev2, "SELECT", "INBOX")
        lines, _ = self.command(rev2, "SEARCH", "RETURN", "(SAVE)", "ALL")
        self.assertEqual(lines, [])
        lines, tagged = self.command(rev2, "UID", "SEARCH", "$")
        self.assertEqual(lines, [b'* ESEARCH (TAG "' + tagged.split()[0] + b'") UID ALL ' +
                                 uids[2]])

    def test_nonexistent_parents_and_oldname(self):
        imap = self.imap("nina")
        self.ok(imap.create("Club/Events"))
        self.ok(imap.delete("Club"))
        lines, _ = self.command(imap, "LIST", '""', "%")
        self.assertIn(b'* LIST (\\HasChildren \\Noselect) "/" Club', lines)
        lines, _ = self.command(imap, "LIST", '""', "C*")
        self.assertEqual(lines, [b'* LIST (\\HasNoChildren) "/" Club/Events'])
        lines, _ = self.command(imap, "LIST", "()", '""', "C%")
        self.assertEqual(lines, [b'* LIST (\\HasChildren \\NonExistent) "/" Club'])
        self.ok(imap.unsubscribe("Trash"))
        lines, _ = self.command(imap, "LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', "%")
        # Club was subscribed when it was deleted, so it still is (RFC 3501 §6.3.6).
        self.assertIn(b'* LIST (\\HasChildren \\NonExistent \\Subscribed) "/" Club '
                      b'("CHILDINFO" ("SUBSCRIBED"))', lines)
        self.assertFalse([ln for ln in lines if ln.endswith(b" Trash")], lines)
        lines, _ = self.command(imap, "LSUB", '""', "%")
        self.assertIn(b'* LSUB (\\HasChildren \\Noselect) "/" Club', lines)
        # IMAP4rev2: CREATE of a name the server normalises says so with OLDNAME.
        lines, _ = self.command(imap, "ENABLE", "IMAP4rev2")
        self.assertEqual(lines, [b"* ENABLED IMAP4rev2"])
        lines, tagged = self.command(imap, "CREATE", "inbox/Kids")
        self.assertIn(b" OK ", tagged)
        self.assertEqual(lines, [b'* LIST (\\HasNoChildren) "/" INBOX/Kids ("OLDNAME" '
                                 b'(inbox/Kids))'])
        lines, tagged = self.command(imap, "RENAME", "Club/Events", "inbox/Events")
        self.assertIn(b" OK ", tagged)
        self.assertEqual(lines, [b'* LIST (\\HasNoChildren) "/" INBOX/Events ("OLDNAME" '
                                 b'(inbox/Events))'])
        lines, _ = self.command(imap, "CREATE", "Plain")
        self.assertEqual(lines, [])

    def test_binary_append(self):
        imap = self.imap("bea")
        lines, _ = self.command(imap, "CAPABILITY")
        self.assertIn(b" BINARY ", lines[0])
        body = "Subject: bin\r\n\r\ncafé 8-bit\r\n".encode()
        tag = imap._new_tag()
        imap.send(tag + b" APPEND INBOX ~{%d+}\r\n" % len(body) + body + b"\r\n")
        tagged = imap.readline()
        self.assertTrue(tagged.startswith(tag + b" OK [APPENDUID "), tagged)
        self.ok(imap.select("INBOX"))
        typ, data = imap.fetch("1", "(BINARY.PEEK[] BINARY.SIZE[])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], body)
        self.assertIn(b"BINARY.SIZE[] %d" % len(body), data[0][0] + data[1])
        nul = b"Subject: nul\r\n\r\na\x00b\r\n"
        tag = imap._new_tag()
        imap.send(tag + b" APPEND INBOX ~{%d+}\r\n" % len(nul) + nul + b"\r\n")
        self.assertEqual(imap.readline().split(b" ")[:3], [tag, b"NO", b"[UNKNOWN-CTE]"])
        lines, _ = self.command(imap, "NOOP")
        self.assertEqual(lines, [])

    def test_sessions_per_account_are_limited(self):
        sessions = [self.imap("lars") for _ in range(3)]
        extra = imaplib.IMAP4("127.0.0.1", self.suite.ports["imap"], timeout=30)
        self.addCleanup(self.logout, extra)
        with self.assertRaises(imaplib.IMAP4.error) as err:
            extra.login("lars@example.test", PASSWORD)
        self.assertIn("[LIMIT] Too many sessions for this account (3)", str(err.exception))
        self.assertGreaterEqual(self.suite.metric(
            "imap-access", "mailsuite_imap_access_session_limit_rejections_total",
            limit="account"), 1)
        # A session that logs out frees its slot.
        sessions[0].logout()
        for _ in range(50):
            try:
                extra.login("lars@example.test", PASSWORD)
                break
            except imaplib.IMAP4.error:
                time.sleep(0.1)
        self.assertEqual(extra.state, "AUTH")

    def test_connections_per_ip_are_limited(self):
        # The replica allows 3 connections from one address. Connections of earlier
        # tests (and the start-up probe) count until the replica has seen them close.
        url = f"http://127.0.0.1:{self.replica_metrics_port}/metrics"
        for _ in range(100):
            with urllib.request.urlopen(url, timeout=10) as response:
                if "mailsuite_imap_access_sessions_active 0\n" in response.read().decode():
                    break
            time.sleep(0.1)
        conns = []
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", self.replica_port), timeout=10)
            self.addCleanup(c.close)
            self.assertTrue(c.makefile("rb").readline().startswith(b"* OK"))
            conns.append(c)
        extra = socket.create_connection(("127.0.0.1", self.replica_port), timeout=10)
        self.addCleanup(extra.close)
        self.assertEqual(extra.makefile("rb").readline(),
                         b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n")
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        self.assertRegex(text, r'mailsuite_imap_access_session_limit_rejections_total'
                               r'\{limit="ip"\} [1-9]')


if __name__ == "__main__":
    unittest.main()
