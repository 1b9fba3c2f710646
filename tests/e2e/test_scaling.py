"""End-to-end: several replicas of each process against ONE PostgreSQL.

The harness starts one of each process; this test adds a second smtp-ingress,
mailbox-store, outbound-relay and imap-access on new ports (same flags, same database).
smtp-ingress #2 talks to mailbox-store #2 and outbound-relay #2, imap-access #2 to
mailbox-store #2. Then:
- 1,000 messages to remote recipients go in through the two smtp-ingress replicas (half
  each, 10 parallel authenticated submission connections) and must all arrive at the remote
  MX (an aiosmtpd sink behind dns_server.py) exactly once (counted by Message-ID), with both
  relay replicas having delivered some (they share the queue: FOR UPDATE SKIP LOCKED);
- IMAP IDLE on imap-access #1 (mailbox-store #1) sees a message stored through
  mailbox-store #2 (PostgreSQL LISTEN/NOTIFY); skipped while imap-access lacks IDLE;
- both imap-access replicas show the same INBOX.
"""

import collections
import concurrent.futures
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest
import uuid
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dns_server import DnsServer  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

MESSAGES = 1000
CONNECTIONS = 10
DELIVERY_WAIT = 60  # seconds for all messages to reach the sink
NEEDS = ("smtp-ingress", "outbound-relay", "dns-resolver", "mailbox-store", "imap-access",
         "mailctl")


class Sink:
    """An aiosmtpd server standing in for the remote MX; counts Message-IDs."""

    def __init__(self, host, port):
        self.ids = collections.Counter()
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname=host, port=port, ready_timeout=10)

    async def handle_DATA(self, server, session, envelope):
        message_id = None
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode(errors="replace")
        with self.lock:
            # One delivery per message: the test sends one recipient per message.
            self.ids[message_id] += 1
        return "250 2.0.0 OK"

    def total(self):
        with self.lock:
            return sum(self.ids.values())


class Replica:
    """A second copy of one suite process on its own ports. `overrides` are extra flags
    (absl: the last occurrence of a flag wins), e.g. other listen addresses or targets."""

    def __init__(self, suite, name, overrides, listen_ports):
        self.suite, self.name = suite, name
        self.log_path = os.path.join(suite.dir, "log", f"{name}-2.log")
        self.listen_ports = listen_ports
        argv = [os.path.join(suite.bin_dir, name)] + suite.flags(name) + overrides
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                harness._die_with_parent("KILL", argv), env=suite.env(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        for port in listen_ports:
            if not harness.wait_port("127.0.0.1", port, harness.START_TIMEOUT, self.proc):
                self.proc.kill()
                raise RuntimeError(f"{name} replica did not start:\n{harness.tail(self.log_path)}")

    def stop(self):
        """SIGTERM; the replica must exit 0 within the harness' limit, like the others."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(harness.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} replica ignored SIGTERM")
        if code != 0:
            raise AssertionError(f"{self.name} replica exited {code}:\n{harness.tail(self.log_path)}")


def metric(port, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`, at a /metrics port."""
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        m = harness._SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        found = dict(harness._LABEL.findall(m.group(2) or ""))
        if any(found.get(k) != str(v) for k, v in labels.items()):
            continue
        total += float(m.group(3))
    return total


class ScalingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        bin_dir = harness.default_bin_dir()
        missing = [n for n in NEEDS if not os.access(os.path.join(bin_dir, n), os.X_OK)]
        if missing:
            raise unittest.SkipTest(f"not built yet: {', '.join(missing)}")
        sink_port = harness.free_port()
        cls.sink = Sink("127.0.0.2", sink_port)
        cls.sink.controller.start()
        cls.addClassCleanup(cls.sink.controller.stop)
        cls.dns = DnsServer({"remote.test": {"MX": [(10, "mx.remote.test")]},
                             "mx.remote.test": {"A": ["127.0.0.2"], "AAAA": []}}).start()
        cls.addClassCleanup(cls.dns.stop)
        suite = cls.suite = harness.Suite(
            upstream=cls.dns.upstream, remote_smtp_port=sink_port,
            services=("mailbox-store", "dns-resolver", "outbound-relay", "smtp-ingress",
                      "imap-access"),
            extra_flags={"outbound-relay": ["--workers=16"]}).__enter__()
        cls.addClassCleanup(suite.__exit__, None, None, None)
        suite.mailctl("domain", "add", "example.test").check_returncode()
        suite.mailctl("user", "add", "alice@example.test", "--password-stdin",
                      input="alice-pw").check_returncode()
        suite.mailctl("user", "add", "bob@example.test", "--password-stdin",
                      input="bob-pw").check_returncode()

        # The second replicas. Cleanups run last-in first-out: front-ends stop first.
        a = suite.addr
        cls.store2 = {"grpc": harness.free_port(), "metrics": harness.free_port()}
        cls.relay2 = {"grpc": harness.free_port(), "metrics": harness.free_port()}
        cls.smtp2 = {k: harness.free_port() for k in
                     ("grpc", "metrics", "smtp", "submission", "submissions")}
        cls.imap2 = {k: harness.free_port() for k in ("grpc", "metrics", "imap", "imaps")}
        replicas = [
            ("mailbox-store", cls.store2, [], ["grpc"]),
            ("outbound-relay", cls.relay2,
             [f"--mailbox_store={a(cls.store2['grpc'])}"], ["grpc"]),
            ("smtp-ingress", cls.smtp2,
             [f"--smtp_address={a(cls.smtp2['smtp'])}",
              f"--submission_address={a(cls.smtp2['submission'])}",
              f"--submissions_address={a(cls.smtp2['submissions'])}",
              f"--mailbox_store={a(cls.store2['grpc'])}",
              f"--outbound_relay={a(cls.relay2['grpc'])}"], ["grpc", "submission"]),
            ("imap-access", cls.imap2,
             [f"--imap_address={a(cls.imap2['imap'])}", f"--imaps_address={a(cls.imap2['imaps'])}",
              f"--mailbox_store={a(cls.store2['grpc'])}"], ["grpc", "imap"]),
        ]
        for name, ports, extra, listen in replicas:
            overrides = [f"--grpc_address={a(ports['grpc'])}",
                         f"--metrics_address={a(ports['metrics'])}"] + extra
            if name == "outbound-relay":
                overrides.append("--workers=16")
            replica = Replica(suite, name, overrides, [ports[k] for k in listen])
            cls.addClassCleanup(replica.stop)

    def submit(self, port, numbers):
        """Sends one message per number over one authenticated submission connection;
        returns the Message-IDs."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        ids = []
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.starttls(context=context)
            smtp.login("alice@example.test", "alice-pw")
            for n in numbers:
                msg = EmailMessage()
                msg["From"] = "alice@example.test"
                msg["To"] = f"user{n}@remote.test"
                msg["Subject"] = f"scaling {n}"
                msg["Message-ID"] = f"<scaling-{n}-{uuid.uuid4().hex}@example.test>"
                msg.set_content(f"message {n}\n")
                smtp.send_message(msg)
                ids.append(msg["Message-ID"])
        return ids

    def test_1_thousand_messages_through_two_of_everything(self):
        started = time.monotonic()
        ports = [self.suite.ports["submission"], self.smtp2["submission"]]
        per_connection = MESSAGES // CONNECTIONS
        with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
            futures = [pool.submit(self.submit, ports[c % 2],
                                   range(c * per_connection, (c + 1) * per_connection))
                       for c in range(CONNECTIONS)]
            sent = [i for f in futures for i in f.result()]
        self.assertEqual(len(set(sent)), MESSAGES)
        accepted = [metric(self.suite.metrics["smtp-ingress"],
                           "mailsuite_smtp_ingress_messages_accepted_total"),
                    metric(self.smtp2["metrics"], "mailsuite_smtp_ingress_messages_accepted_total")]
        self.assertEqual(accepted, [MESSAGES / 2, MESSAGES / 2])

        deadline = time.monotonic() + DELIVERY_WAIT
        while self.sink.total() < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.25)
        # A moment longer: a duplicate would arrive after the last first copy.
        time.sleep(1)
        with self.sink.lock:
            ids = dict(self.sink.ids)
        missing = set(sent) - set(ids)
        self.assertFalse(missing, f"{len(missing)} of {MESSAGES} messages never arrived "
                                  f"within {DELIVERY_WAIT} s")
        twice = {i: n for i, n in ids.items() if n > 1}
        self.assertFalse(twice, f"delivered more than once: {list(twice.items())[:5]}")
        self.assertEqual(set(ids), set(sent))

        delivered = [metric(self.suite.metrics["outbound-relay"],
                            "mailsuite_outbound_relay_deliveries_total", outcome="delivered"),
                     metric(self.relay2["metrics"],
                            "mailsuite_outbound_relay_deliveries_total", outcome="delivered")]
        self.assertTrue(all(d > 0 for d in delivered),
                        f"both relay replicas should deliver; delivered: {delivered}")
        self.assertEqual(sum(delivered), MESSAGES)
        rpcs = [metric(self.suite.metrics["mailbox-store"], "mailsuite_mailbox_store_rpcs_total"),
                metric(self.store2["metrics"], "mailsuite_mailbox_store_rpcs_total")]
        self.assertTrue(all(r > 0 for r in rpcs), f"both stores should serve RPCs: {rpcs}")
        print(f"\n{MESSAGES} messages in {time.monotonic() - started:.1f} s; relay replicas "
              f"delivered {delivered}; mailbox-store RPCs {rpcs}", file=sys.stderr)

    def test_2_idle_sees_mail_stored_through_the_other_store(self):
        import imaplib
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        imap = imaplib.IMAP4("127.0.0.1", self.suite.ports["imap"], timeout=30)
        try:
            imap.starttls(ssl_context=context)
            imap.login("bob@example.test", "bob-pw")
            # Asked after login: servers list IDLE among the authenticated-state capabilities.
            typ, data = imap.capability()
            if typ != "OK" or "IDLE" not in data[0].decode().upper().split():
                self.skipTest("imap-access does not implement IDLE (RFC 2177) yet")
            imap.select("INBOX")
            tag = imap._new_tag()
            imap.send(tag + b" IDLE\r\n")
            self.assertTrue(imap.readline().startswith(b"+"), "IDLE was not accepted")
            # Stored through mailbox-store #2; this session is on imap-access #1, store #1.
            stored = subprocess.run(
                [os.path.join(self.suite.bin_dir, "mailctl"),
                 f"--mailbox_store={self.suite.addr(self.store2['grpc'])}",
                 "deliver", "bob@example.test", "--sender=alice@example.test"],
                input="Subject: idle across replicas\r\n\r\nhello\r\n", text=True,
                capture_output=True, env=self.suite.env(), timeout=30)
            self.assertEqual(stored.returncode, 0, stored.stderr)
            imap.sock.settimeout(15)
            seen = b""
            try:
                while b"EXISTS" not in seen:
                    line = imap.readline()
                    if not line:
                        break
                    seen += line
            except socket.timeout:
                pass
            self.assertIn(b"EXISTS", seen, "IDLE did not report the new message within 15 s")
            imap.send(b"DONE\r\n")
        finally:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    def test_3_both_imap_replicas_see_the_same_mailbox(self):
        import imaplib
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        stored = self.suite.mailctl("deliver", "bob@example.test", "--sender=alice@example.test",
                                    input="Subject: seen by both\r\n\r\nhello\r\n")
        self.assertEqual(stored.returncode, 0, stored.stderr)
        counts = []
        for port in (self.suite.ports["imap"], self.imap2["imap"]):
            imap = imaplib.IMAP4("127.0.0.1", port, timeout=30)
            try:
                imap.starttls(ssl_context=context)
                imap.login("bob@example.test", "bob-pw")
                typ, data = imap.select("INBOX", readonly=True)
                self.assertEqual(typ, "OK", data)
                counts.append(int(data[0]))
            finally:
                imap.logout()
        self.assertGreaterEqual(counts[0], 1)
        self.assertEqual(counts[0], counts[1], "the imap-access replicas disagree")


if __name__ == "__main__":
    unittest.main()
