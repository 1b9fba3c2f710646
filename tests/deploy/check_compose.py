"""deploy.compose: `docker-compose config` accepts deploy/compose.yaml, and the rendered
file keeps the promises of the README: scalable services without fixed names or host ports,
read-only root filesystems, secrets from files, one-shot init, monitoring wired up."""

import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib  # noqa: E402

PUBLISHING = {"smtp-ingress", "mail-proxy", "prometheus", "grafana"}
# Mail ports the proxy publishes, and the service:port each must reach.
PROXIED = {"143": "imap-access:143", "993": "imap-access:993", "110": "pop3-access:110",
           "995": "pop3-access:995"}


def main():
    compose = deploylib.tool("docker-compose", "DOCKER_COMPOSE")
    c = deploylib.Checker("deploy.compose")
    # A clean environment: a developer's MAILSUITE_* or COMPOSE_* must not change the result.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAILSUITE_", "COMPOSE_", "DOCKER_"))}
    rendered = deploylib.run([compose, "-f", "deploy/compose.yaml", "config"], env=env)
    config = yaml.safe_load(rendered)
    services = config["services"]
    for name in deploylib.PROCESSES + ("postgres", "prometheus", "grafana", "mailctl-init"):
        c.expect(name in services, f"no service {name}")
    for name, svc in services.items():
        c.expect("container_name" not in svc, f"{name} has a fixed container_name (cannot scale)")
        if svc.get("ports"):
            c.expect(name in PUBLISHING, f"{name} publishes host ports, so it cannot be scaled")
    # imap-access and pop3-access scale behind mail-proxy: the README's
    # `--scale imap-access=2` must not clash on a host port.
    for name in ("imap-access", "pop3-access"):
        c.expect(not services.get(name, {}).get("ports"),
                 f"{name} publishes host ports: --scale {name}=2 would clash")
    proxy = services.get("mail-proxy", {})
    published = {str(p.get("target", p)).split(":")[-1] if isinstance(p, dict) else
                 str(p).split(":")[-1] for p in proxy.get("ports", [])}
    with open(os.path.join(deploylib.REPO, "deploy", "haproxy", "haproxy.cfg")) as f:
        haproxy = f.read()
    for port, upstream in PROXIED.items():
        c.expect(port in published, f"mail-proxy does not publish {port}")
        c.expect(f"bind :{port}" in haproxy, f"haproxy.cfg does not listen on {port}")
        c.expect(f" {upstream} " in haproxy, f"haproxy.cfg does not forward to {upstream}")
    for name in deploylib.PROCESSES:
        svc = services.get(name, {})
        env_ = svc.get("environment", {})
        c.expect(svc.get("read_only") is True, f"{name}: root filesystem is not read-only")
        c.expect(svc.get("command", [None])[0] == name, f"{name}: does not run {name}")
        c.expect("MAILSUITE_GRPC_ADDRESS" in env_, f"{name}: no MAILSUITE_GRPC_ADDRESS (healthcheck)")
        c.expect(str(env_.get("MAILSUITE_METRICS_ADDRESS", "")).startswith("0.0.0.0:"),
                 f"{name}: metrics not reachable from Prometheus")
        for key, value in env_.items():
            c.expect("PASSWORD" not in key or key.endswith("_FILE"),
                     f"{name}: {key} set in the environment, not from a secret file")
            if key in ("MAILSUITE_MAILBOX_STORE", "MAILSUITE_OUTBOUND_RELAY",
                       "MAILSUITE_DNS_RESOLVER"):
                c.expect(str(value).startswith("dns:///"),
                         f"{name}: {key}={value} does not balance over replicas")
    for name in ("mailbox-store", "outbound-relay"):
        env_ = services.get(name, {}).get("environment", {})
        c.expect(env_.get("PGPASSWORD_FILE", "").startswith("/run/secrets/"),
                 f"{name}: database password not from a secret file")
    for name in ("smtp-ingress", "imap-access", "pop3-access"):
        env_ = services.get(name, {}).get("environment", {})
        c.expect(env_.get("MAILSUITE_TLS_KEY", "").startswith("/run/secrets/"),
                 f"{name}: TLS key not from a secret file")
    pg = services.get("postgres", {})
    c.expect(pg.get("image", "").startswith("postgres:15"), "postgres is not PostgreSQL 15")
    c.expect("POSTGRES_PASSWORD_FILE" in pg.get("environment", {}),
             "postgres password not from a secret file")
    init = services.get("mailctl-init", {})
    c.expect(init.get("restart") == "no", "mailctl-init is not one-shot")
    init_env = init.get("environment", {})
    c.expect("MAILSUITE_INIT_DOMAIN" in init_env and "MAILSUITE_INIT_USER" in init_env,
             "mailctl-init does not take the domain and user from the environment")
    prom_volumes = " ".join(str(v) for v in services.get("prometheus", {}).get("volumes", []))
    c.expect("deploy/prometheus" in prom_volumes, "prometheus does not use deploy/prometheus")
    graf_volumes = " ".join(str(v) for v in services.get("grafana", {}).get("volumes", []))
    c.expect("grafana/provisioning" in graf_volumes and "grafana/dashboards" in graf_volumes,
             "grafana is not provisioned from deploy/grafana")
    for name, secret in config.get("secrets", {}).items():
        c.expect("file" in secret, f"secret {name} does not come from a file")
    c.exit()


if __name__ == "__main__":
    main()
