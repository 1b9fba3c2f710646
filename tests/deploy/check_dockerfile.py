"""deploy.dockerfile: static checks of docker/Dockerfile (no Docker engine needed).

The runtime stage must run as a non-root user, have a HEALTHCHECK through `mailctl health`,
install no compiler or -dev package, and name only packages Debian 12 has; the build stage
must build every binary with the packages tools/deps installs.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib  # noqa: E402

BINARIES = deploylib.PROCESSES + ("mailctl",)
COMPILERS = re.compile(r"^(build-essential|gcc.*|g\+\+.*|clang.*|cmake|ninja-build|make|"
                       r"protobuf-compiler.*|.*-dev)$")


def instructions(path):
    """The Dockerfile as (INSTRUCTION, arguments) with continuation lines joined."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(instrs):
    """{stage name: [instructions]} in order; the FROM line is the first of each."""
    result, current = {}, None
    for instr in instrs:
        if instr[0] == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", instr[1], re.I)
            current = m.group(2) or f"stage{len(result)}"
            result[current] = []
        if current is not None:
            result[current].append(instr)
    return result


def apt_packages(run_args):
    """Package names after `apt-get install` in a RUN command."""
    m = re.search(r"apt-get install ([^&;|]*)", run_args)
    if not m:
        return []
    return [w for w in m.group(1).split() if not w.startswith("-")]


def tools_deps_packages():
    with open(os.path.join(deploylib.REPO, "tools", "deps")) as f:
        m = re.search(r"packages=\((.*?)\)", f.read(), re.S)
    return {p for word in m.group(1).split() for p in word.split("|")}


def main():
    c = deploylib.Checker("deploy.dockerfile")
    path = os.path.join(deploylib.REPO, "docker", "Dockerfile")
    instrs = instructions(path)
    args = {k: v for k, v in (i[1].split("=", 1) for i in instrs if i[0] == "ARG" and "=" in i[1])}
    all_stages = stages(instrs)
    c.expect(len(all_stages) >= 2, "the Dockerfile is not multi-stage")
    for name, body in all_stages.items():
        base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)),
                      body[0][1].split()[0])
        c.expect(base == "debian:bookworm-slim", f"stage {name} is FROM {base}, not debian:bookworm-slim")

    build = all_stages.get("build", [])
    c.expect(bool(build), "no stage named build")
    build_run = " ".join(a for k, a in build if k == "RUN")
    for binary in BINARIES:
        c.expect(re.search(rf"\b{re.escape(binary)}\b", build_run),
                 f"the build stage does not build {binary}")
    c.expect("ctest" not in build_run, "the build stage runs tests")
    deps = tools_deps_packages()
    for package in apt_packages(build_run):
        c.expect(package in deps, f"build stage installs {package}, which tools/deps lacks")

    runtime_name = list(all_stages)[-1]
    runtime = all_stages[runtime_name]
    kinds = [k for k, _ in runtime]
    users = [a for k, a in runtime if k == "USER"]
    c.expect(users and users[-1].split(":")[0] not in ("0", "root"),
             f"final stage {runtime_name} does not switch to a non-root USER")
    healthchecks = [a for k, a in runtime if k == "HEALTHCHECK"]
    c.expect(healthchecks and "mailctl" in healthchecks[-1] and " health " in healthchecks[-1],
             "final stage has no HEALTHCHECK running `mailctl health`")
    c.expect("ENTRYPOINT" in kinds, "final stage has no ENTRYPOINT")
    # Exec-form (JSON) arguments must be valid JSON, or Docker silently runs them via sh.
    for kind, arg in runtime:
        form = arg.split("CMD", 1)[1].strip() if kind == "HEALTHCHECK" else arg
        if kind in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and form.startswith("["):
            try:
                c.expect(all(isinstance(w, str) for w in json.loads(form)), f"{kind}: not strings")
            except ValueError as e:
                c.expect(False, f"{kind} exec form is not valid JSON ({e}): {form}")
    copies = [a for k, a in runtime if k == "COPY"]
    c.expect(any("--from=build" in a for a in copies), "binaries are not copied from the build stage")
    runtime_run = " ".join(a for k, a in runtime if k == "RUN")
    runtime_packages = apt_packages(runtime_run)
    c.expect(bool(runtime_packages), "final stage installs no runtime libraries")
    for package in runtime_packages:
        c.expect(not COMPILERS.match(package), f"final stage installs build tool {package}")
    c.expect("rm -rf /var/lib/apt/lists" in runtime_run, "final stage keeps the apt lists")
    # The names must exist in Debian 12 (checked against this machine's apt cache).
    # One apt-cache call (each one reads the whole cache); "Candidate: (none)" = unknown.
    if shutil.which("apt-cache"):
        policy = subprocess.run(["apt-cache", "policy"] + runtime_packages,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        known = {}
        for block in re.split(r"^(?=\S)", policy.stdout, flags=re.M):
            m = re.match(r"(\S+):\n.*?Candidate: (\S+)", block, re.S)
            if m:
                known[m.group(1)] = m.group(2) != "(none)"
        for package in runtime_packages:
            c.expect(known.get(package, False), f"apt-cache does not know runtime package {package}")
    exposed = " ".join(a for k, a in runtime if k == "EXPOSE").split()
    for port in ("25", "587", "465", "110", "995", "143", "993", "50051", "9101"):
        c.expect(port in exposed, f"final stage does not EXPOSE {port}")

    entrypoint = os.path.join(deploylib.REPO, "docker", "entrypoint.sh")
    c.expect(subprocess.run(["sh", "-n", entrypoint]).returncode == 0,
             "docker/entrypoint.sh has a shell syntax error")
    dockerignore = os.path.join(deploylib.REPO, ".dockerignore")
    c.expect(os.path.exists(dockerignore), ".dockerignore is missing")
    if os.path.exists(dockerignore):
        with open(dockerignore) as f:
            lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        # Everything is excluded except what the build needs (build*/, .git, secrets stay out).
        c.expect(lines[:1] == ["*"], ".dockerignore does not start by excluding everything")
        c.expect(not any(l.startswith("!build") or l.startswith("!deploy") for l in lines),
                 ".dockerignore lets build directories or deploy secrets into the context")
    c.exit()


if __name__ == "__main__":
    main()
