"""Helpers shared by the tests/deploy checks (standard library + python3-yaml)."""

import os
import re
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROCESSES = ("smtp-ingress", "outbound-relay", "dns-resolver", "mailbox-store",
             "imap-access", "pop3-access")
SKIP = 77


class Checker:
    """Collects failures so that one run reports all of them; exit() ends the check."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.checked = 0

    def expect(self, condition, message):
        self.checked += 1
        if not condition:
            self.failures.append(message)
        return condition

    def exit(self):
        for failure in self.failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        print(f"{self.name}: {self.checked - len(self.failures)}/{self.checked} checks passed")
        sys.exit(1 if self.failures else 0)


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def tool(name, env_var=None):
    """The path of a command-line tool ($env_var wins), or skip the check without it."""
    path = os.environ.get(env_var) if env_var else None
    path = path or shutil.which(name)
    if not path:
        skip(f"{name} is not installed (tools/deps installs it)")
    return path


def run(argv, **kwargs):
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=REPO, **kwargs)
    if out.returncode != 0:
        print(f"FAIL: {' '.join(argv)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}",
              file=sys.stderr)
        sys.exit(1)
    return out.stdout


def exported_metrics():
    """Metric names the processes export: documented in the METRICS section of their
    README.md or registered in their sources (a "mailsuite_..." string literal), with the
    series a histogram adds."""
    names = set()
    for process in PROCESSES:
        directory = os.path.join(REPO, "services", process)
        for file in os.listdir(directory):
            if file.endswith(".cc"):
                with open(os.path.join(directory, file), errors="replace") as f:
                    for name in re.findall(r'"(mailsuite_[a-z0-9_]+)"', f.read()):
                        names.add(name)
                        names.update(name + s for s in ("_bucket", "_sum", "_count"))
    for process in PROCESSES:
        with open(os.path.join(REPO, "services", process, "README.md")) as f:
            text = f.read()
        section = re.search(r"^## METRICS\n(.*?)(?=^## )", text, re.S | re.M)
        if not section:
            continue
        for name in re.findall(r"`(mailsuite_[a-z0-9_]+)`", section.group(1)):
            names.add(name)
            names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


# Identifiers in a PromQL expression that are not metric names.
_PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "delta", "by", "without",
    "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "histogram_quantile",
    "absent", "time", "le", "bool", "offset", "topk", "bottomk", "clamp_min", "clamp_max",
    "vector", "scalar", "abs", "label_replace", "deriv", "predict_linear", "changes",
}


def promql_metrics(expr):
    """The metric names an expression selects: bare identifiers outside {...}, [...] and
    strings, that are not functions, keywords or label names in by(...)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "{}", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "[]", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", stripped)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", stripped):
        word = m.group(0)
        rest = stripped[m.end():].lstrip()
        if word in _PROMQL_WORDS or rest.startswith("("):
            continue
        names.add(word)
    # {__name__=~"a|b"} selectors: every alternative of the regex is a metric name.
    for regex in re.findall(r'__name__\s*=~?\s*"([^"]*)"', expr):
        names.update(expand_alternatives(regex))
    return names


def expand_alternatives(regex):
    """Expands a regex made only of literal text and (a|b) groups into all its strings."""
    m = re.search(r"\(([^()]*)\)", regex)
    if not m:
        return regex.split("|")
    out = []
    for alt in m.group(1).split("|"):
        out += expand_alternatives(regex[:m.start()] + alt + regex[m.end():])
    return out
