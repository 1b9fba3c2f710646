"""End-to-end test of certificate reload on SIGHUP in the three protocol front-ends.

The suite starts with the harness's 30-day certificate. The files are replaced by a new
90-day certificate and each front-end gets SIGHUP: new TLS connections (SMTPS 465, IMAPS
993, POP3S 995 roles) then show the new certificate, and the certificate-expiry gauge
moves to its notAfter. A SIGHUP while the files hold garbage keeps the old certificate
and the process serving.
Run: /usr/bin/python3 tests/e2e/test_tls_reload.py -v
"""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "imap-access", "pop3-access")
# Front-end → (implicit-TLS port key, metric prefix).
FRONT_ENDS = {"smtp-ingress": ("submissions", "smtp_ingress"),
              "imap-access": ("imaps", "imap_access"),
              "pop3-access": ("pop3s", "pop3_access")}
MISSING = harness.missing_binaries(SERVICES)


def served_certificate(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with harness.insecure_tls().wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(path):
    out = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
                         stdout=subprocess.PIPE, check=True)
    return out.stdout


def not_after(path):
    out = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-enddate"],
                         stdout=subprocess.PIPE, text=True, check=True)
    when = out.stdout.strip().split("=", 1)[1]
    parsed = datetime.datetime.strptime(when, "%b %d %H:%M:%S %Y %Z")
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class TlsReloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        cls.tmp = tempfile.mkdtemp(prefix="mailsuite-reload-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def replace_files(self, cert_text, key_text):
        # Write aside and rename, as an ACME client does, so no reader sees half a file.
        for path, text in ((self.suite.tls_key, key_text), (self.suite.tls_cert, cert_text)):
            with open(path + ".new", "wb") as f:
                f.write(text)
            os.replace(path + ".new", path)

    def hup_all(self):
        for name in FRONT_ENDS:
            self.suite.procs[name].send_signal(signal.SIGHUP)

    def wait_served(self, port, der):
        deadline = time.monotonic() + 10
        while served_certificate(port) != der:
            if time.monotonic() > deadline:
                self.fail(f"port {port} still serves the old certificate")
            time.sleep(0.1)

    def test_sighup_loads_the_new_certificate_and_keeps_the_old_on_bad_files(self):
        old_der = der_of(self.suite.tls_cert)
        for name, (port, _) in FRONT_ENDS.items():
            self.assertEqual(served_certificate(self.suite.ports[port]), old_der, name)

        cert = os.path.join(self.tmp, "new.pem")
        key = os.path.join(self.tmp, "new.key")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "90",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", key, "-out", cert],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(cert, "rb") as c, open(key, "rb") as k:
            self.replace_files(c.read(), k.read())
        self.hup_all()
        new_der = der_of(cert)
        self.assertNotEqual(new_der, old_der)
        for name, (port, prefix) in FRONT_ENDS.items():
            with self.subTest(name):
                self.wait_served(self.suite.ports[port], new_der)
                gauge = self.suite.metric(
                    name, f"mailsuite_{prefix}_tls_certificate_expiry_timestamp_seconds")
                self.assertAlmostEqual(gauge, not_after(cert), delta=2)

        # Garbage in the files: the reload fails, is logged, and the process keeps serving
        # the certificate it has.
        self.replace_files(b"not a certificate\n", b"not a key\n")
        self.hup_all()
        time.sleep(1)
        for name, (port, _) in FRONT_ENDS.items():
            with self.subTest(name):
                self.assertIsNone(self.suite.procs[name].poll(), f"{name} died")
                self.assertEqual(served_certificate(self.suite.ports[port]), new_der)


if __name__ == "__main__":
    unittest.main()
