"""End-to-end test of mutual TLS between the suite's processes (ARCHITECTURE.md §6).

Every process runs with --grpc_tls_cert/--grpc_tls_key/--grpc_tls_ca from a test CA:
mail still flows (smtp-ingress → mailbox-store → pop3-access all over mTLS gRPC), mailctl
with a certificate from that CA manages accounts, and mailbox-store refuses a client that
speaks plaintext or shows a certificate from another CA, and mailctl refuses a store
whose certificate its CA did not sign.
Run: /usr/bin/python3 tests/e2e/test_grpc_mtls.py -v
"""

import os
import poplib
import smtplib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "pop3-access")
PASSWORD = "mtls secret"



def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(directory, name):
    """A CA and one leaf for 127.0.0.1 usable as TLS server and client; returns paths."""
    os.makedirs(directory, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            f"/CN={name} test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mailsuite", "-keyout",
            "leaf.key", "-out", "leaf.csr", cwd=directory)
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth,clientAuth\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "leaf.pem",
            cwd=directory)
    return {k: os.path.join(directory, v)
            for k, v in (("cert", "leaf.pem"), ("key", "leaf.key"), ("ca", "ca.pem"))}


def tls_flags(files):
    return [f"--grpc_tls_cert={files['cert']}", f"--grpc_tls_key={files['key']}",
            f"--grpc_tls_ca={files['ca']}"]


MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class GrpcMutualTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailsuite-mtls-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.good = make_ca(os.path.join(cls.tmp.name, "good"), "good")
        cls.other = make_ca(os.path.join(cls.tmp.name, "other"), "other")
        flags = tls_flags(cls.good)
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "mailbox-store": flags,
            "smtp-ingress": flags,
            "pop3-access": flags + ["--allow_plaintext_auth", "--auth_failure_delay=0s"],
        }).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)

    def mailctl(self, *args, files=None):
        extra = tls_flags(files) if files else []
        return self.suite.mailctl(*extra, *args)

    def test_mail_flows_over_mutual_tls(self):
        self.mailctl("domain", "add", "example.test", files=self.good).check_returncode()
        out = self.suite.mailctl(*tls_flags(self.good), "user", "add", "tls@example.test",
                                 "--password-stdin", input=PASSWORD)
        self.assertEqual(out.returncode, 0, out.stderr)
        message = ("From: <a@elsewhere.test>\r\nTo: <tls@example.test>\r\n"
                   "Subject: over mTLS\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            self.assertEqual(smtp.sendmail("a@elsewhere.test", ["tls@example.test"], message),
                             {})
        pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
        try:
            pop.user("tls@example.test")
            pop.pass_(PASSWORD)
            self.assertEqual(pop.stat()[0], 1)
            self.assertIn(b"Subject: over mTLS", pop.retr(1)[1])
        finally:
            pop.quit()

    def test_store_refuses_plaintext_and_foreign_or_missing_certificates(self):
        good, other = self.good, self.other
        for name, args in (
                ("plaintext", []),
                # The store must verify the client: a certificate from another CA.
                ("client certificate from another CA",
                 [f"--grpc_tls_cert={other['cert']}", f"--grpc_tls_key={other['key']}",
                  f"--grpc_tls_ca={good['ca']}"]),
                # The client must verify the store against its CA.
                ("server not from the client's CA",
                 [f"--grpc_tls_cert={good['cert']}", f"--grpc_tls_key={good['key']}",
                  f"--grpc_tls_ca={other['ca']}"]),
                # Half the flags is an error, never a silent fall back to plaintext.
                ("CA only", [f"--grpc_tls_ca={good['ca']}"])):
            with self.subTest(name):
                out = self.suite.mailctl(*args, "domain", "list", timeout=60)
                self.assertNotEqual(out.returncode, 0, f"{name}: {out.stdout}")
        # The same command with the right certificate works.
        out = self.mailctl("domain", "list", files=self.good)
        self.assertEqual(out.returncode, 0, out.stderr)


if __name__ == "__main__":
    unittest.main()
