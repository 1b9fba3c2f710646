"""End-to-end: Debian's Prometheus scrapes a running suite.

Starts the suite (harness.Suite), writes a Prometheus configuration with one job per
process (static targets on the suite's metrics ports, 1 s scrape interval), runs the real
`prometheus` binary on a free port with a temporary storage directory, sends mail with
smtplib, and checks through Prometheus' HTTP API that all six processes are `up` and that
the counters moved; and that `mailctl health` (the container HEALTHCHECK) answers for
every process. Skips when `prometheus` is not installed (tools/deps installs it).
"""

import json
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
WAIT = 30  # seconds for scrapes to show a change


class PrometheusServer:
    """The prometheus binary scraping `targets` ({job: "host:port"}) every second."""

    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="mailsuite-prom-")
        self.port = harness.free_port()
        self.config = os.path.join(self.dir, "prometheus.yml")
        self.log_path = os.path.join(self.dir, "prometheus.log")
        lines = ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s",
                 "scrape_configs:"]
        for job, target in targets.items():
            lines += [f"  - job_name: {job}", "    static_configs:",
                      f"      - targets: ['{target}']"]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                harness._die_with_parent("KILL", [
                    PROMETHEUS, f"--config.file={self.config}",
                    f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1h", "--log.level=warn"]),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url("/-/ready"), timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start:\n{harness.tail(self.log_path)}")
            time.sleep(0.2)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if not harness.keep_tmp():
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def query(self, expr):
        """Instant query; returns [(labels, float value), ...]."""
        url = self.url("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise AssertionError(f"query {expr!r} failed: {body}")
        return [(s["metric"], float(s["value"][1])) for s in body["data"]["result"]]

    def scalar(self, expr):
        """The single value of `expr`, or None when it has no series."""
        result = self.query(expr)
        return result[0][1] if result else None


class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(PROMETHEUS, os.X_OK):
            raise unittest.SkipTest("prometheus is not installed (tools/deps installs it)")
        cls.suite = harness.Suite().__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        cls.suite.mailctl("domain", "add", "example.test").check_returncode()
        cls.suite.mailctl("user", "add", "bob@example.test", "--password-stdin",
                          input="secret-pw").check_returncode()
        targets = {name: cls.suite.addr(cls.suite.metrics[name]) for name in harness.SERVICES}
        cls.prom = PrometheusServer(targets).start()
        cls.addClassCleanup(cls.prom.stop)

    def wait_for(self, what, predicate):
        deadline = time.monotonic() + WAIT
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"{what} within {WAIT} s; prometheus log:\n"
                          f"{harness.tail(self.prom.log_path)}")
            time.sleep(0.5)

    def all_up(self):
        up = {m["job"]: v for m, v in self.prom.query("up")}
        return up if set(up) == set(harness.SERVICES) and all(v == 1 for v in up.values()) else None

    def test_every_process_is_up_and_counters_move(self):
        up = self.wait_for("all six processes up in Prometheus", self.all_up)
        self.assertEqual(set(up), set(harness.SERVICES))

        accepted = "sum(mailsuite_smtp_ingress_messages_accepted_total)"
        stored = 'sum(mailsuite_mailbox_store_deliveries_total{status="delivered"})'
        before = self.prom.scalar(accepted) or 0.0
        before_stored = self.prom.scalar(stored) or 0.0
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            for i in range(3):
                msg = EmailMessage()
                msg["From"] = "alice@elsewhere.test"
                msg["To"] = "bob@example.test"
                msg["Subject"] = f"prometheus test {i}"
                msg.set_content("counted\n")
                smtp.send_message(msg)

        after = self.wait_for(
            "mailsuite_smtp_ingress_messages_accepted_total to grow by 3",
            lambda: (lambda v: v if v is not None and v >= before + 3 else None)(
                self.prom.scalar(accepted)))
        self.assertGreaterEqual(after - before, 3)
        self.wait_for(
            "mailbox-store deliveries to grow by 3",
            lambda: (lambda v: v if v is not None and v >= before_stored + 3 else None)(
                self.prom.scalar(stored)))
        # Histograms arrive too: the accept latency has 3 more observations.
        count = self.prom.scalar("sum(mailsuite_smtp_ingress_accept_latency_seconds_count)")
        self.assertIsNotNone(count)
        self.assertGreaterEqual(count, 3)

    def test_mailctl_health_checks_every_process(self):
        # What the container HEALTHCHECK runs: SERVING and exit 0 from every process.
        for name in harness.SERVICES:
            out = self.suite.mailctl("health", self.suite.addr(self.suite.grpc[name]))
            self.assertEqual((out.returncode, out.stdout), (0, "SERVING\n"), f"{name}: {out.stderr}")
        closed = self.suite.mailctl("--timeout=2s", "health", self.suite.addr(harness.free_port()))
        self.assertEqual(closed.returncode, 3, closed.stderr)
        self.assertIn("cannot reach", closed.stderr)
        unknown = self.suite.mailctl(
            "health", self.suite.addr(self.suite.grpc["mailbox-store"]), "no.such.Service")
        self.assertEqual(unknown.returncode, 1, unknown.stderr)


if __name__ == "__main__":
    unittest.main()
