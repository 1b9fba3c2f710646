"""End-to-end tests of pop3-access, round 2: the maildrop lock, real clients, limits.

- [IN-USE]: one session per maildrop (RFC 1939 §8), on one pop3-access and across two
  replicas (a second pop3-access started by hand on new ports, same mailbox-store).
- Clients: poplib with --allow_plaintext_auth (on the second replica), STLS and POP3S;
  curl pop3:// LIST, RETR and DELE; fetchmail in keep mode (UIDL "seen" tracking: a second
  run fetches nothing) and flush mode (messages deleted), delivering through an MDA.
- TOP, UIDL stability across sessions, POP3 deletions seen by IMAP and the other way.
- Limits: command line over 255 octets, unknown and wrong-state commands, many bad
  commands, garbage TLS on POP3S and after STLS, the idle timeout.
Run: /usr/bin/python3 tests/e2e/test_pop3_clients.py -v
"""

import imaplib
import os
import poplib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "imap-access", "pop3-access")
PASSWORD = "pop3 clients secret"




def message(token, extra_body_lines=0):
    body = "".join(f"body line {i}\r\n" for i in range(extra_body_lines))
    return (f"From: <sender@elsewhere.test>\r\nTo: <someone@example.test>\r\n"
            f"Subject: {token}\r\nMessage-ID: <{token}@elsewhere.test>\r\n\r\n"
            f"Hello {token}.\r\n{body}")


class Replica:
    """A second pop3-access on new ports against the suite's mailbox-store."""

    def __init__(self, suite, extra=()):
        self.ports = {k: harness.free_port() for k in ("pop3", "pop3s", "grpc", "metrics")}
        replace = {"--pop3_address": self.ports["pop3"], "--pop3s_address": self.ports["pop3s"],
                   "--grpc_address": self.ports["grpc"], "--metrics_address": self.ports["metrics"]}
        flags = []
        for flag in suite.flags("pop3-access"):
            name = flag.split("=", 1)[0]
            flags.append(f"{name}=127.0.0.1:{replace[name]}" if name in replace else flag)
        self.log_path = suite.log_path("pop3-access-2")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [os.path.join(suite.bin_dir, "pop3-access"), *flags, *extra], env=suite.env(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        for key in ("pop3", "pop3s"):
            if not harness.wait_port("127.0.0.1", self.ports[key], 20, self.proc):
                self.stop()
                raise RuntimeError(f"second pop3-access did not start:\n"
                                   f"{harness.tail(self.log_path)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(15)


MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class Pop3ClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "pop3-access": ["--auth_failure_delay=0s"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        # The second replica allows passwords without TLS (for poplib plain, curl, fetchmail
        # without certificates) and times out idle sessions after 2 s (RFC 1939 §3 wants
        # 10 min in production; the flag warns below that).
        cls.replica = Replica(cls.suite, ["--allow_plaintext_auth", "--idle_timeout=2s",
                                          "--auth_failure_delay=0s"])
        cls.addClassCleanup(cls.replica.stop)
        cls.suite.mailctl("domain", "add", "example.test").check_returncode()

    # --- helpers ---------------------------------------------------------------------------

    def new_user(self):
        user = f"u{uuid.uuid4().hex[:10]}@example.test"
        self.suite.mailctl("user", "add", user, "--password-stdin",
                           input=PASSWORD).check_returncode()
        return user

    def deliver(self, user, count=1, extra_body_lines=0):
        """Delivers `count` messages with mailctl; returns their texts."""
        texts = []
        for _ in range(count):
            text = message(uuid.uuid4().hex, extra_body_lines)
            result = self.suite.mailctl("deliver", "--sender=sender@elsewhere.test", user,
                                        input=text)
            self.assertEqual(result.returncode, 0, result.stderr)
            texts.append(text)
        return texts

    def plain(self, user, port=None):
        """poplib USER/PASS without TLS on the replica that allows it."""
        pop = poplib.POP3("127.0.0.1", port or self.replica.ports["pop3"], timeout=30)
        pop.user(user)
        pop.pass_(PASSWORD)
        return pop

    def stls(self, user):
        pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
        pop.stls(context=harness.insecure_tls())
        pop.user(user)
        pop.pass_(PASSWORD)
        return pop

    def pop3s(self, user):
        pop = poplib.POP3_SSL("127.0.0.1", self.suite.ports["pop3s"], timeout=30,
                              context=harness.insecure_tls())
        pop.user(user)
        pop.pass_(PASSWORD)
        return pop

    def raw(self, port=None):
        """A plain socket after the greeting, with a line reader."""
        sock = socket.create_connection(("127.0.0.1", port or self.suite.ports["pop3"]), 10)
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        return sock, f

    # --- [IN-USE] --------------------------------------------------------------------------

    def test_second_login_gets_in_use_until_the_first_quits(self):
        user = self.new_user()
        self.deliver(user)
        first = self.stls(user)
        second = poplib.POP3_SSL("127.0.0.1", self.suite.ports["pop3s"], timeout=30,
                                 context=harness.insecure_tls())
        second.user(user)
        with self.assertRaises(poplib.error_proto) as err:
            second.pass_(PASSWORD)
        self.assertTrue(err.exception.args[0].startswith(b"-ERR [IN-USE]"), err.exception.args)
        first.quit()
        # The same connection may try again (still in AUTHORIZATION) once the lock is free.
        second.user(user)
        self.assertTrue(second.pass_(PASSWORD).startswith(b"+OK"))
        self.assertEqual(second.stat()[0], 1)
        second.quit()

    def test_in_use_across_two_replicas(self):
        user = self.new_user()
        self.deliver(user)
        first = self.stls(user)  # replica 1
        other = poplib.POP3("127.0.0.1", self.replica.ports["pop3"], timeout=30)
        other.user(user)
        with self.assertRaises(poplib.error_proto) as err:
            other.pass_(PASSWORD)
        self.assertTrue(err.exception.args[0].startswith(b"-ERR [IN-USE]"), err.exception.args)
        other.quit()
        first.quit()
        again = self.plain(user)  # replica 2, now that replica 1's session ended
        self.assertEqual(again.stat()[0], 1)
        # And the other way round: replica 2 holds it, replica 1 is refused.
        refused = self.pop3s_refused(user)
        self.assertTrue(refused.startswith(b"-ERR [IN-USE]"), refused)
        again.quit()

    def pop3s_refused(self, user):
        pop = poplib.POP3_SSL("127.0.0.1", self.suite.ports["pop3s"], timeout=30,
                              context=harness.insecure_tls())
        try:
            pop.user(user)
            pop.pass_(PASSWORD)
            return b"+OK (not refused)"
        except poplib.error_proto as e:
            return e.args[0]
        finally:
            pop.quit()

    def test_a_dropped_connection_releases_the_lock(self):
        user = self.new_user()
        pop = self.stls(user)
        pop.sock.shutdown(socket.SHUT_RDWR)  # no QUIT: the connection just drops
        pop.sock.close()
        for _ in range(50):
            try:
                self.pop3s(user).quit()
                return
            except poplib.error_proto as e:
                self.assertTrue(e.args[0].startswith(b"-ERR [IN-USE]"), e.args)
                time.sleep(0.1)
        self.fail("the lock of a dropped session was not released")

    # --- clients ---------------------------------------------------------------------------

    def test_poplib_plain_stls_and_pop3s_read_the_same_message(self):
        user = self.new_user()
        (text,) = self.deliver(user)
        want = text.encode().split(b"\r\n")[:-1]
        for connect in (self.plain, self.stls, self.pop3s):
            pop = connect(user)
            resp, lines, octets = pop.retr(1)
            self.assertEqual(lines, want, connect.__name__)
            self.assertEqual(octets, len(text.encode()))
            pop.quit()

    def test_top_and_uidl_are_stable_across_sessions(self):
        user = self.new_user()
        texts = self.deliver(user, 3, extra_body_lines=5)
        pop = self.pop3s(user)
        uidls = pop.uidl()[1]
        resp, lines, _ = pop.top(2, 2)
        header, body = texts[1].encode().split(b"\r\n\r\n", 1)
        self.assertEqual(lines, header.split(b"\r\n") + [b""] + body.split(b"\r\n")[:2])
        self.assertEqual(pop.top(1, 0)[1], texts[0].encode().split(b"\r\n\r\n")[0].split(b"\r\n")
                         + [b""])
        pop.dele(1)
        pop.quit()
        pop = self.stls(user)
        after = pop.uidl()[1]
        self.assertEqual(after, [b"1 " + uidls[1].split()[1], b"2 " + uidls[2].split()[1]])
        self.assertEqual(pop.uidl(2), b"+OK 2 " + uidls[2].split()[1])
        pop.quit()

    def test_curl_list_retr_and_dele(self):
        user = self.new_user()
        texts = self.deliver(user, 2)
        base = f"pop3://127.0.0.1:{self.replica.ports['pop3']}"
        auth = ["-u", f"{user}:{PASSWORD}"]

        def curl(*args):
            r = subprocess.run(["curl", "-sS", "--max-time", "30", *auth, *args],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout

        listing = curl(base + "/").split(b"\r\n")[:-1]
        self.assertEqual(listing, [f"{i + 1} {len(t.encode())}".encode()
                                   for i, t in enumerate(texts)])
        self.assertEqual(curl(base + "/2"), texts[1].encode())
        curl("-X", "DELE 1", "-I", base + "/")
        pop = self.pop3s(user)
        self.assertEqual(pop.stat()[0], 1)
        self.assertEqual(pop.retr(1)[1], texts[1].encode().split(b"\r\n")[:-1])
        pop.quit()

    @unittest.skipUnless(shutil.which("fetchmail"), "fetchmail is not installed (tools/deps)")
    def test_fetchmail_keep_then_flush(self):
        user = self.new_user()
        texts = self.deliver(user, 3)
        work = tempfile.mkdtemp(prefix="pop3-fetchmail-")
        self.addCleanup(shutil.rmtree, work, True)
        out = os.path.join(work, "mbox")
        rc = os.path.join(work, "fetchmailrc")
        with open(rc, "w") as f:
            f.write(f'poll 127.0.0.1 protocol pop3 port {self.replica.ports["pop3"]} '
                    f'uidl auth password\n  user "{user}" password "{PASSWORD}" '
                    f'sslproto "" \n')
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=work, FETCHMAILHOME=work)

        def fetchmail(*mode):
            return subprocess.run(
                ["fetchmail", "-f", rc, "--nodetach", "--nosyslog", "-v", "--idfile",
                 os.path.join(work, "ids"), "--mda", f"sh -c 'cat >> {out}'", *mode],
                capture_output=True, text=True, env=env, timeout=120)

        first = fetchmail("--keep")
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        with open(out, "rb") as f:
            got = f.read()
        for t in texts:
            self.assertIn(f"Subject: {t.split('Subject: ')[1].split(chr(13))[0]}".encode(), got)
        # Keep mode: the messages stay, and UIDL tells fetchmail they were seen.
        second = fetchmail("--keep")
        self.assertEqual(second.returncode, 1, second.stdout + second.stderr)  # 1: no mail
        with open(out, "rb") as f:
            self.assertEqual(f.read(), got)
        pop = self.pop3s(user)
        self.assertEqual(pop.stat()[0], 3)
        pop.quit()
        # Flush mode (no --keep, --all): fetched again and deleted on the server.
        third = fetchmail("--nokeep", "--all")
        self.assertEqual(third.returncode, 0, third.stdout + third.stderr)
        pop = self.pop3s(user)
        self.assertEqual(pop.stat()[0], 0)
        pop.quit()

    def test_pop3_and_imap_deletions_are_seen_by_each_other(self):
        user = self.new_user()
        texts = self.deliver(user, 3)
        pop = self.pop3s(user)
        # UIDL is "<uidvalidity>.<uid>": the IMAP UID of message 2.
        uid2 = pop.uidl(2).split()[2].split(b".")[1].decode()
        pop.dele(1)
        pop.quit()
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.suite.ports["imaps"],
                                 ssl_context=harness.insecure_tls())
        imap.login(user, PASSWORD)
        typ, data = imap.select("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(int(data[0]), 2)
        # Expunge the (now) first message over IMAP; an imap-access without STORE and
        # EXPUNGE yet gets the same done by mailctl (the same ExpungeMessages RPC).
        try:
            imap.store("1", "+FLAGS", "\\Deleted")
            typ, _ = imap.expunge()
            self.assertEqual(typ, "OK")
        except imaplib.IMAP4.error:
            r = self.suite.mailctl("message", "expunge", user, "INBOX", uid2)
            self.assertEqual(r.returncode, 0, r.stderr)
        imap.logout()
        pop = self.pop3s(user)
        self.assertEqual(pop.stat()[0], 1)
        self.assertEqual(pop.retr(1)[1], texts[2].encode().split(b"\r\n")[:-1])
        pop.quit()

    # --- limits and bad input --------------------------------------------------------------

    def test_long_unknown_and_wrong_state_commands(self):
        sock, f = self.raw()
        try:
            sock.sendall(b"NOOP " + b"x" * 300 + b"\r\n")
            self.assertEqual(f.readline(),
                             b"-ERR Command line too long (RFC 2449: 255 octets at most)\r\n")
            sock.sendall(b"XYZZ\r\nSTAT\r\nRETR 1\r\nCAPA\r\n")
            self.assertEqual(f.readline(), b"-ERR Unknown command XYZZ\r\n")
            self.assertEqual(f.readline(), b"-ERR STAT is not valid before login\r\n")
            self.assertEqual(f.readline(), b"-ERR RETR is not valid before login\r\n")
            self.assertTrue(f.readline().startswith(b"+OK"))
            while f.readline() not in (b".\r\n", b""):  # the rest of CAPA
                pass
            # The session still works after all that.
            sock.sendall(b"NOOP\r\n")
            self.assertEqual(f.readline(), b"-ERR NOOP is not valid before login\r\n")
        finally:
            sock.close()

    def test_many_bad_commands_close_the_connection(self):
        sock, f = self.raw()
        try:
            sock.sendall(b"XYZZ\r\n" * 25)
            lines = []
            while True:
                line = f.readline()
                if not line:
                    break
                lines.append(line)
            self.assertLessEqual(len(lines), 21)
            self.assertEqual(lines[-1], b"-ERR Too many errors, closing connection\r\n")
        finally:
            sock.close()

    def test_garbage_tls_handshakes_are_dropped_and_the_server_lives_on(self):
        sock = socket.create_connection(("127.0.0.1", self.suite.ports["pop3s"]), 10)
        sock.sendall(b"USER alice\r\n" + os.urandom(200))
        sock.settimeout(15)
        try:
            self.assertIn(sock.recv(1024)[:1], (b"", b"\x15"))  # closed or a TLS alert
        except ConnectionResetError:
            pass
        sock.close()
        sock, f = self.raw()
        sock.sendall(b"STLS\r\n")
        self.assertEqual(f.readline(), b"+OK Begin TLS negotiation\r\n")
        sock.sendall(b"\x16\x03\x01\x00\x05garbage" + os.urandom(100))
        sock.settimeout(15)
        try:
            self.assertIn(sock.recv(1024)[:1], (b"", b"\x15"))
        except ConnectionResetError:
            pass
        sock.close()
        user = self.new_user()
        self.pop3s(user).quit()  # still serving

    def test_idle_timeout_closes_without_deleting(self):
        user = self.new_user()
        self.deliver(user)
        sock, f = self.raw(self.replica.ports["pop3"])  # --idle_timeout=2s
        try:
            sock.sendall(f"USER {user}\r\nPASS {PASSWORD}\r\nDELE 1\r\n".encode())
            self.assertTrue(f.readline().startswith(b"+OK"))
            self.assertTrue(f.readline().startswith(b"+OK Logged in"))
            self.assertTrue(f.readline().startswith(b"+OK"))
            start = time.monotonic()
            self.assertEqual(f.readline(), b"-ERR Autologout: idle for too long\r\n")
            self.assertEqual(f.readline(), b"")
            self.assertGreaterEqual(time.monotonic() - start, 1.5)
        finally:
            sock.close()
        pop = self.pop3s(user)  # the lock was released, and nothing was deleted
        self.assertEqual(pop.stat()[0], 1)
        pop.quit()

    def test_zz_a_lost_lock_ends_the_session_without_deleting(self):
        """mailbox-store restarts mid-session: the lock went with it, so the session must
        not go on to QUIT (another session could hold the maildrop by now)."""
        user = self.new_user()
        self.deliver(user, 2)
        pop = self.pop3s(user)
        pop.dele(1)
        self.suite.stop("mailbox-store")  # must still exit 0 with a lock stream open
        self.suite.start("mailbox-store")
        with self.assertRaises(poplib.error_proto) as err:
            pop.quit()
        self.assertTrue(err.exception.args[0].startswith(b"-ERR [SYS/TEMP] Maildrop lock lost"),
                        err.exception.args)
        for _ in range(50):  # the front-end reconnects to the new mailbox-store
            try:
                pop = self.pop3s(user)
                break
            except poplib.error_proto:
                time.sleep(0.2)
        self.assertEqual(pop.stat()[0], 2)
        pop.quit()


if __name__ == "__main__":
    unittest.main()
