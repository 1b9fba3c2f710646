"""End-to-end test harness: a throwaway PostgreSQL and the real mailsuite binaries.

Tests import this module (standard library only, run with /usr/bin/python3). Everything
listens on 127.0.0.1 on free ports and lives in temporary directories, so tests can run in
parallel with each other and with a `tools/up` suite. See README.md in this directory.
"""

import atexit
import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_BIN = "/usr/lib/postgresql/15/bin"
# Start order; shutdown goes front-ends first, backends last.
SERVICES = ("mailbox-store", "dns-resolver", "outbound-relay",
            "smtp-ingress", "imap-access", "pop3-access")
STOP_GROUPS = (("smtp-ingress", "imap-access", "pop3-access"),
               ("outbound-relay",),
               ("dns-resolver", "mailbox-store"))
# The client-facing ports each service listens on, besides its gRPC and metrics ports.
OWN_PORTS = {"smtp-ingress": ("smtp", "submission", "submissions"),
             "imap-access": ("imap", "imaps"), "pop3-access": ("pop3", "pop3s")}
START_TIMEOUT = 30
STOP_TIMEOUT = 10


def default_bin_dir():
    return os.environ.get("MAILSUITE_BIN_DIR") or os.path.join(REPO, "build", "bin")


def missing_binaries(names):
    """The programs of `names` (plus mailctl) not built in the bin directory; tests skip
    with this list when it is not empty."""
    bin_dir = default_bin_dir()
    return [n for n in tuple(names) + ("mailctl",)
            if not os.access(os.path.join(bin_dir, n), os.X_OK)]


def insecure_tls():
    """A client TLS context that accepts the suite's self-signed certificate."""
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def keep_tmp():
    """MAILSUITE_KEEP_TMP=1 keeps temporary directories (logs, PostgreSQL data) for a look."""
    return os.environ.get("MAILSUITE_KEEP_TMP", "") not in ("", "0")


_handed_out = set()
_handed_out_lock = threading.Lock()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now and this process never returned."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with _handed_out_lock:
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_port(host, port, timeout=START_TIMEOUT, proc=None):
    """Waits until host:port accepts TCP connections. Returns False on timeout, or as soon as
    `proc` (a Popen) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        if port_open(host, port):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({e})"


# Children are started through setpriv --pdeathsig, so that they get a signal (SIGKILL;
# postgres SIGQUIT, its immediate shutdown) if the test process dies without cleaning up and
# no stray server keeps ports and CPU. Linux sends it when the *thread* that started the
# child ends: start suites from the main thread (setUpClass), not from a worker thread.
_SETPRIV = shutil.which("setpriv")


def _die_with_parent(sig, argv):
    if _SETPRIV is None:
        return argv
    return [_SETPRIV, "--pdeathsig", sig, "--"] + argv


def _run_as():
    """Popen arguments that run a PostgreSQL server program as postgres when we are root
    (PostgreSQL refuses to run as root); empty otherwise."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


class Postgres:
    """A private PostgreSQL 15 cluster in a temporary directory, with database `mailsuite`.

    Listens on 127.0.0.1:<free port> and on a unix socket in its directory; trust auth;
    fsync off. The postmaster is a child of this process, so it cannot outlive the test.
    """

    def __init__(self, dbname="mailsuite"):
        self.dbname = dbname
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else getpass.getuser()
        # As root the server runs as postgres: use /tmp, which it can traverse (TMPDIR may
        # not be), and hand it the directory, which mkdtemp makes 0700.
        self.dir = tempfile.mkdtemp(prefix="mailsuite-pg-",
                                    dir="/tmp" if os.geteuid() == 0 else None)
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.proc = None
        self._log = None
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def env(self):
        return {"PGHOST": self.dir, "PGPORT": str(self.port),
                "PGUSER": self.user, "PGDATABASE": self.dbname}

    def _initdb(self):
        out = subprocess.run(
            [f"{PG_BIN}/initdb", "-D", self.data, "-U", self.user, "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            **_run_as())
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{out.stdout}")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"""
# Written by tests/e2e/harness.py: a throwaway cluster, speed over durability.
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.dir}'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
""")

    def start(self):
        if self.proc is not None:
            return self
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self._initdb()
        self._log = open(self.log_path, "ab")
        if os.geteuid() == 0:
            shutil.chown(self.log_path, "postgres", "postgres")
        self.proc = subprocess.Popen(
            _die_with_parent("QUIT", [f"{PG_BIN}/postgres", "-D", self.data]), cwd=self.dir,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, **_run_as())
        atexit.register(self.stop)
        deadline = time.monotonic() + 60
        while True:
            ready = subprocess.run(
                [f"{PG_BIN}/pg_isready", "-q", "-h", self.dir, "-p", str(self.port),
                 "-U", self.user, "-d", "postgres"])
            if ready.returncode == 0:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start:\n{tail(self.log_path)}")
            time.sleep(0.1)
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.dbname}'",
                           dbname="postgres")
        if exists.strip() != "1":
            subprocess.run([f"{PG_BIN}/createdb", "-h", self.dir, "-p", str(self.port),
                            "-U", self.user, self.dbname], check=True)
        return self

    def psql(self, sql, dbname=None):
        """Runs SQL with psql and returns its unaligned, tuples-only output."""
        out = subprocess.run(
            [f"{PG_BIN}/psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
             "-h", self.dir, "-p", str(self.port), "-U", self.user,
             "-d", dbname or self.dbname, "-c", sql],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr}")
        return out.stdout

    def stop(self):
        """Fast shutdown (SIGINT); SIGQUIT after 30 s. Safe to call twice."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.send_signal(signal.SIGQUIT)
                    self.proc.wait(30)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.stop)

    def cleanup(self):
        self.stop()
        if keep_tmp():
            print(f"harness: kept PostgreSQL directory {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


def make_tls_cert(directory):
    """A self-signed certificate for localhost/127.0.0.1; returns (cert path, key path)."""
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class ImapSessions:
    """Mixin for a unittest.TestCase with `self.suite` and a class attribute PASSWORD:
    logged-in imaplib sessions that log out at cleanup, and an OK check."""

    def imap(self, user, port=None):
        import imaplib
        imap = imaplib.IMAP4("127.0.0.1", port or self.suite.ports["imap"], timeout=30)
        imap.login(f"{user}@example.test", self.PASSWORD)
        self.addCleanup(self.logout, imap)
        return imap

    @staticmethod
    def logout(imap):
        import imaplib
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    def ok(self, result):
        typ, data = result
        self.assertEqual(typ, "OK", data)
        return data


class Suite:
    """Runs PostgreSQL and the mailsuite processes on free ports; a context manager.

        with Suite() as suite:
            suite.mailctl("domain", "add", "example.test")
            smtplib.SMTP("127.0.0.1", suite.ports["smtp"])

    suite.ports: smtp submission submissions imap imaps pop3 pop3s (protocol ports);
    suite.grpc[name], suite.metrics[name]: gRPC and metrics port of each process.
    `upstream` ("127.0.0.1:PORT") is the DNS server for dns-resolver; `remote_smtp_port` the
    port outbound-relay connects to on remote MX hosts. `services` starts only some of the
    processes (PostgreSQL only if one of them needs it). `extra_flags` maps a process name
    to more flags for it. On exit every process gets SIGTERM and must exit 0 within 10 s.
    """

    def __init__(self, upstream=None, remote_smtp_port=None, hostname="mx.example.test",
                 services=SERVICES, extra_flags=None, bin_dir=None):
        self.upstream = upstream
        self.remote_smtp_port = remote_smtp_port
        self.hostname = hostname
        self.services = tuple(s for s in SERVICES if s in services)
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}")
        self.extra_flags = extra_flags or {}
        self.bin_dir = bin_dir or default_bin_dir()
        self.dir = None
        self.pg = None
        self.procs = {}
        self.ports = {k: free_port() for k in
                      ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s")}
        self.grpc = {name: free_port() for name in SERVICES}
        self.metrics = {name: free_port() for name in SERVICES}
        self.tls_cert = self.tls_key = None
        self._failed = False

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self):
        for name in self.services + ("mailctl",):
            path = os.path.join(self.bin_dir, name)
            if not os.access(path, os.X_OK):
                raise FileNotFoundError(
                    f"{path} is missing: build first (tools/test builds), or set MAILSUITE_BIN_DIR")
        self.dir = tempfile.mkdtemp(prefix="mailsuite-e2e-")
        os.makedirs(os.path.join(self.dir, "log"))
        try:
            if {"mailbox-store", "outbound-relay"} & set(self.services):
                self.pg = Postgres().start()
            self.tls_cert, self.tls_key = make_tls_cert(os.path.join(self.dir, "tls"))
            for name in self.services:
                self._start_first(name)
        except BaseException:
            self._failed = True
            self._shutdown(check=False)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        errors = self._shutdown(check=True)
        if errors and exc_type is None:
            raise AssertionError("\n\n".join(errors))
        if errors:
            print("\n\n".join(errors), file=sys.stderr)
        return False

    def _shutdown(self, check):
        """Stops everything, front-ends first; returns a list of error descriptions."""
        errors = []
        for group in STOP_GROUPS:
            for name in group:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for name in group:
                if name in self.procs:
                    error = self._reap(name)
                    if error and check:
                        errors.append(error)
        if self.pg is not None:
            self.pg.cleanup()
        if errors or self._failed:
            print(f"harness: logs kept in {self.dir}/log", file=sys.stderr)
        elif self.dir and not keep_tmp():
            shutil.rmtree(self.dir, ignore_errors=True)
        return errors

    def _reap(self, name):
        """Waits for a process that was sent SIGTERM; returns an error text or None."""
        proc = self.procs.pop(name)
        error = None
        try:
            code = proc.wait(STOP_TIMEOUT)
            if code != 0:
                error = f"{name} exited with status {code} after SIGTERM"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            error = f"{name} did not exit within {STOP_TIMEOUT} s of SIGTERM"
        if error:
            self._failed = True
            error += f"; last lines of its log:\n{tail(self.log_path(name))}"
        return error

    def start(self, name):
        """Starts (or restarts, on the same ports) one process and waits until it listens."""
        if name in self.procs and self.procs[name].poll() is None:
            raise RuntimeError(f"{name} is already running")
        with open(self.log_path(name), "ab") as log:
            proc = subprocess.Popen(
                _die_with_parent("KILL", [os.path.join(self.bin_dir, name)] + self.flags(name)),
                env=self.env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        for port in self._listen_ports(name):
            if not wait_port("127.0.0.1", port, START_TIMEOUT, proc):
                state = (f"exited with status {proc.returncode}" if proc.poll() is not None
                         else f"did not listen on 127.0.0.1:{port} within {START_TIMEOUT} s")
                raise RuntimeError(
                    f"{name} {state}; last lines of its log:\n{tail(self.log_path(name))}")

    def _start_first(self, name, attempts=3):
        """start(name) at suite start. Tests run in parallel, so a port free_port() found
        free may be taken before the service binds it: then the service gets new ports
        (nothing started before it refers to them: SERVICES lists dependencies first) and
        another try."""
        for attempt in range(attempts):
            try:
                self.start(name)
                return
            except RuntimeError:
                proc = self.procs.get(name)
                this_try = self.log_text(name).rsplit("harness: port taken", 1)[-1]
                if (attempt + 1 == attempts or proc is None or proc.poll() is None
                        or "Address already in use" not in this_try):
                    raise
                del self.procs[name]
                print(f"harness: {name} found a port taken; new ports, try {attempt + 2}",
                      file=sys.stderr)
                with open(self.log_path(name), "a") as log:
                    log.write("harness: port taken, restarting on new ports\n")
                self.grpc[name] = free_port()
                self.metrics[name] = free_port()
                for key in OWN_PORTS.get(name, ()):
                    self.ports[key] = free_port()

    def stop(self, name, check=True):
        """Stops one process with SIGTERM; with check, asserts it exited 0 within 10 s.
        Returns its exit status."""
        proc = self.procs.get(name)
        if proc is None:
            raise RuntimeError(f"{name} is not running")
        proc.send_signal(signal.SIGTERM)
        error = self._reap(name)
        if error and check:
            raise AssertionError(error)
        return proc.returncode

    # --- configuration -------------------------------------------------------------------

    def env(self):
        """The children's environment: ours without MAILSUITE_* and PG* (a developer's shell
        settings must not leak into a test), plus the test cluster's PG* variables."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MAILSUITE_", "PG"))}
        if self.pg is not None:
            env.update(self.pg.env())
        return env

    def addr(self, port):
        return f"127.0.0.1:{port}"

    def flags(self, name):
        a = self.addr
        flags = [f"--grpc_address={a(self.grpc[name])}",
                 f"--metrics_address={a(self.metrics[name])}"]
        tls = [f"--tls_cert={self.tls_cert}", f"--tls_key={self.tls_key}"]
        store = f"--mailbox_store={a(self.grpc['mailbox-store'])}"
        relay = f"--outbound_relay={a(self.grpc['outbound-relay'])}"
        dns = f"--dns_resolver={a(self.grpc['dns-resolver'])}"
        p = self.ports
        if name == "dns-resolver" and self.upstream:
            flags.append(f"--upstream={self.upstream}")
        elif name == "outbound-relay":
            flags += [dns, store, f"--hostname={self.hostname}", "--retry_initial=1s"]
            if self.remote_smtp_port:
                flags.append(f"--remote_smtp_port={self.remote_smtp_port}")
        elif name == "smtp-ingress":
            flags += [f"--smtp_address={a(p['smtp'])}",
                      f"--submission_address={a(p['submission'])}",
                      f"--submissions_address={a(p['submissions'])}",
                      *tls, f"--hostname={self.hostname}", store, relay, dns,
                      # On by default in production; test senders (elsewhere.test) have
                      # no DNS here. Tests that want it pass --check_sender_domain=true
                      # in extra_flags (the last occurrence of a flag wins).
                      "--check_sender_domain=false",
                      # Likewise the client's reverse DNS: without a test zone the
                      # system resolver may not answer. Tests that want it pass
                      # --reverse_dns_timeout=2s.
                      "--reverse_dns_timeout=0s"]
        elif name == "imap-access":
            flags += [f"--imap_address={a(p['imap'])}", f"--imaps_address={a(p['imaps'])}",
                      *tls, store]
        elif name == "pop3-access":
            flags += [f"--pop3_address={a(p['pop3'])}", f"--pop3s_address={a(p['pop3s'])}",
                      *tls, store]
        return flags + list(self.extra_flags.get(name, ()))

    def _listen_ports(self, name):
        return [self.grpc[name]] + [self.ports[k] for k in OWN_PORTS.get(name, ())]

    # --- helpers for tests ---------------------------------------------------------------

    def log_path(self, name):
        return os.path.join(self.dir, "log", f"{name}.log")

    def log_text(self, name):
        with open(self.log_path(name), errors="replace") as f:
            return f.read()

    def mailctl(self, *args, input=None, timeout=60):
        """Runs mailctl against this suite; returns the CompletedProcess (text, captured)."""
        cmd = [os.path.join(self.bin_dir, "mailctl"),
               f"--mailbox_store={self.addr(self.grpc['mailbox-store'])}",
               f"--outbound_relay={self.addr(self.grpc['outbound-relay'])}", *args]
        return subprocess.run(cmd, input=input, text=True, capture_output=True,
                              env=self.env(), timeout=timeout)

    def metrics_text(self, name):
        url = f"http://127.0.0.1:{self.metrics[name]}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()

    def metric(self, name, metric, **labels):
        """The value of a sample in the /metrics of process `name`, or None. With labels, the
        sample whose labels are exactly those; without, the sum over all label sets."""
        total = None
        for line in self.metrics_text(name).splitlines():
            m = _SAMPLE.match(line)
            if not m or m.group(1) != metric:
                continue
            found = dict(_LABEL.findall(m.group(2) or ""))
            if labels and found != {k: str(v) for k, v in labels.items()}:
                continue
            value = float(m.group(3))
            if labels:
                return value
            total = value if total is None else total + value
        return total


_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
