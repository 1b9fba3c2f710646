"""deploy.grafana: the Grafana dashboard is valid JSON with the panels operators expect,
its provisioning files point at it and at the Prometheus datasource, and every metric the
dashboard and the alert rules query is one a process documents in its README (METRICS)."""

import json
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib  # noqa: E402

GRAFANA = os.path.join(deploylib.REPO, "deploy", "grafana")
# Queried before any process exports it: alerts may wait for such a metric, a dashboard
# may not. Empty now; an entry needs an owner who will add the metric.
PENDING = set()
# Panels the dashboard must have (a word of each title, lower case).
PANELS = ("mail in", "mail out", "queue depth", "bounces", "imap and pop3 sessions",
          "latency smtp-ingress", "latency outbound-relay", "latency mailbox-store",
          "latency dns-resolver")


def main():
    c = deploylib.Checker("deploy.grafana")
    known = deploylib.exported_metrics() | {"up"}
    c.expect(len(known) > 20, f"found only {len(known)} metrics in the READMEs")

    with open(os.path.join(GRAFANA, "provisioning", "datasources", "prometheus.yaml")) as f:
        datasources = yaml.safe_load(f)["datasources"]
    uids = {d.get("uid") for d in datasources if d.get("type") == "prometheus"}
    with open(os.path.join(GRAFANA, "provisioning", "dashboards", "mailsuite.yaml")) as f:
        providers = yaml.safe_load(f)["providers"]
    c.expect(any(p["options"]["path"] == "/var/lib/grafana/dashboards" for p in providers),
             "the dashboard provider does not read /var/lib/grafana/dashboards")

    dashboards = [n for n in os.listdir(os.path.join(GRAFANA, "dashboards")) if n.endswith(".json")]
    c.expect(bool(dashboards), "no dashboard JSON in deploy/grafana/dashboards")
    for name in dashboards:
        try:
            with open(os.path.join(GRAFANA, "dashboards", name)) as f:
                dash = json.load(f)
        except ValueError as e:
            c.expect(False, f"{name} is not valid JSON: {e}")
            continue
        c.expect(bool(dash.get("uid")) and bool(dash.get("title")), f"{name}: no uid or title")
        titles = " | ".join(p.get("title", "").lower() for p in dash.get("panels", []))
        for word in PANELS:
            c.expect(word in titles, f"{name}: no panel about {word!r}")
        ids = [p.get("id") for p in dash.get("panels", [])]
        c.expect(len(ids) == len(set(ids)), f"{name}: duplicate panel ids")
        for panel in dash.get("panels", []):
            ds = panel.get("datasource", {})
            c.expect(ds.get("uid") in uids, f"{name}: panel {panel.get('title')!r} uses datasource "
                                            f"{ds.get('uid')!r}, not the provisioned one")
            for target in panel.get("targets", []):
                expr = target.get("expr", "")
                c.expect(bool(expr), f"{name}: panel {panel.get('title')!r} has an empty query")
                for metric in deploylib.promql_metrics(expr):
                    c.expect(metric in known, f"{name}: panel {panel.get('title')!r} queries "
                                              f"{metric}, which no process exports")

    with open(os.path.join(deploylib.REPO, "deploy", "prometheus", "alerts.yml")) as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    for rule in rules:
        for metric in deploylib.promql_metrics(rule["expr"]):
            if metric in PENDING:
                print(f"note: alert {rule['alert']} uses {metric}, not exported yet")
                continue
            c.expect(metric in known, f"alert {rule['alert']} queries {metric}, which no process exports")
    c.exit()


if __name__ == "__main__":
    main()
