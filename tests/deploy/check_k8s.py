"""deploy.k8s: renders deploy/k8s/overlays/{dev,production} with `kubectl kustomize` and
checks the result: every Deployment has gRPC readiness and liveness probes, resource
requests and limits, a non-root read-only security context, a Service, a PDB and a
NetworkPolicy; HPAs target existing Deployments; and the NetworkPolicies allow exactly the
flows of ARCHITECTURE.md §1, evaluated pod pair by pod pair.

Uses $KUBECTL or `kubectl` from PATH (Debian's kubernetes-client is kubectl 1.20, whose
kustomize v2 is the oldest we support).
"""

import os
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib  # noqa: E402

NAME = "app.kubernetes.io/name"
BACKENDS = ("mailbox-store", "outbound-relay", "dns-resolver")
HPA_TARGETS = ("smtp-ingress", "outbound-relay", "imap-access", "pop3-access")
FRONT_ENDS = {"smtp-ingress": (25, 587, 465), "imap-access": (143, 993), "pop3-access": (110, 995)}
GRPC = {"mailbox-store": 50051, "outbound-relay": 50052, "dns-resolver": 50053,
        "smtp-ingress": 50054, "imap-access": 50055, "pop3-access": 50056}
METRICS = {"smtp-ingress": 9101, "outbound-relay": 9102, "dns-resolver": 9103,
           "mailbox-store": 9104, "imap-access": 9105, "pop3-access": 9106}

# ARCHITECTURE.md §1 as (source, destination, port); "any" = outside the suite.
EXPECTED_FLOWS = (
    {("any", fe, p) for fe, ports in FRONT_ENDS.items() for p in ports}
    | {("smtp-ingress", "mailbox-store", 50051), ("smtp-ingress", "outbound-relay", 50052),
       ("smtp-ingress", "dns-resolver", 50053), ("imap-access", "mailbox-store", 50051),
       ("pop3-access", "mailbox-store", 50051), ("outbound-relay", "dns-resolver", 50053),
       ("outbound-relay", "mailbox-store", 50051), ("mailctl", "mailbox-store", 50051),
       ("mailctl", "outbound-relay", 50052), ("mailbox-store", "database", 5432),
       ("outbound-relay", "database", 5432)}
    | {("prometheus", p, port) for p, port in METRICS.items()}
)


def render(kubectl, overlay):
    out = subprocess.run([kubectl, "kustomize", os.path.join("deploy", "k8s", "overlays", overlay)],
                         cwd=deploylib.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if out.returncode != 0:
        print(f"FAIL: kubectl kustomize overlays/{overlay}:\n{out.stderr}", file=sys.stderr)
        sys.exit(1)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def selects(selector, labels):
    """A LabelSelector (matchLabels + matchExpressions) against a label set; {} selects all."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        op, key, values = e["operator"], e["key"], e.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(peer, pod):
    """A NetworkPolicy peer against pod = (labels, in_our_namespace)."""
    labels, ours = pod
    if "ipBlock" in peer:
        return not ours and labels == {}  # an ipBlock stands for addresses outside
    if "namespaceSelector" in peer:
        # Any namespace the selector names; {} is all of them. We only model "ours"/"other".
        ns_ok = peer["namespaceSelector"] == {} or not ours
        return ns_ok and selects(peer.get("podSelector", {}), labels)
    return ours and selects(peer["podSelector"], labels)


def port_matches(ports, port):
    return not ports or any(p.get("port") == port for p in ports)


def allowed(policies, src, dst, port):
    """Would the policies let src (labels, ours) open a TCP connection to dst:port?"""
    def direction(pod, kind, other, peer_key):
        relevant = [p for p in policies if selects(p["spec"]["podSelector"], pod[0])
                    and kind in p["spec"].get("policyTypes", ["Ingress"])]
        if not pod[1]:
            return True  # outside the namespace: not governed by these policies
        if not relevant:
            return True
        for p in relevant:
            for rule in p["spec"].get(kind.lower(), []) or []:
                peers = rule.get(peer_key)
                if port_matches(rule.get("ports"), port) and (
                        not peers or any(peer_matches(pe, other) for pe in peers)):
                    return True
        return False
    return direction(src, "Egress", dst, "to") and direction(dst, "Ingress", src, "from")


def check_overlay(c, overlay, docs):
    where = f"[{overlay}]"
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    namespaces = {d["metadata"].get("namespace") for d in docs}
    c.expect(len(namespaces) == 1 and None not in namespaces,
             f"{where} resources are not all in one namespace: {namespaces}")
    deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    services = by_kind.get("Service", [])
    policies = by_kind.get("NetworkPolicy", [])
    c.expect(set(deployments) == set(deploylib.PROCESSES),
             f"{where} Deployments {sorted(deployments)} are not the six processes")
    for name, d in deployments.items():
        spec = d["spec"]["template"]["spec"]
        labels = d["spec"]["template"]["metadata"].get("labels", {})
        annotations = d["spec"]["template"]["metadata"].get("annotations", {})
        c.expect(selects(d["spec"]["selector"], labels), f"{where} {name}: selector misses its pods")
        c.expect(annotations.get("prometheus.io/scrape") == "true"
                 and annotations.get("prometheus.io/port") == str(METRICS[name]),
                 f"{where} {name}: prometheus.io annotations missing or wrong")
        pod_sc = spec.get("securityContext", {})
        for ct in spec["containers"]:
            who = f"{where} {name}/{ct['name']}"
            ports = {p["containerPort"] for p in ct.get("ports", [])}
            for kind in ("readinessProbe", "livenessProbe"):
                probe = ct.get(kind, {})
                c.expect(probe.get("grpc", {}).get("port") == GRPC[name],
                         f"{who}: no {kind} on the gRPC health port {GRPC[name]}")
            c.expect(GRPC[name] in ports and METRICS[name] in ports,
                     f"{who}: gRPC or metrics port not declared")
            res = ct.get("resources", {})
            for part in ("requests", "limits"):
                c.expect({"cpu", "memory"} <= set(res.get(part, {})), f"{who}: no cpu/memory {part}")
            sc = ct.get("securityContext", {})
            c.expect(sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True,
                     f"{who}: runAsNonRoot is not set")
            c.expect(sc.get("runAsUser", pod_sc.get("runAsUser", 10001)) != 0, f"{who}: runs as uid 0")
            c.expect(sc.get("readOnlyRootFilesystem") is True, f"{who}: root filesystem writable")
            c.expect(sc.get("allowPrivilegeEscalation") is False, f"{who}: privilege escalation allowed")
            c.expect("ALL" in sc.get("capabilities", {}).get("drop", []), f"{who}: capabilities not dropped")
            env = {e["name"] for e in ct.get("env", [])}
            c.expect(not any("PASSWORD" in e and not any(
                x["name"] == e and "valueFrom" in x for x in ct["env"]) for e in env),
                f"{who}: a password is written into the manifest")
        matching = [s for s in services if selects({"matchLabels": s["spec"].get("selector", {})}, labels)
                    and s["spec"].get("selector")]
        c.expect(bool(matching), f"{where} {name}: no Service selects it")
        for s in matching:
            if name in BACKENDS:
                c.expect(s["spec"].get("clusterIP") == "None",
                         f"{where} {name}: gRPC backend Service is not headless")
            if name in FRONT_ENDS and overlay == "production":
                c.expect(s["spec"].get("type") == "LoadBalancer",
                         f"{where} {name}: mail ports not on a LoadBalancer")
        c.expect(any(selects(p["spec"]["selector"], labels) for p in by_kind.get("PodDisruptionBudget", [])),
                 f"{where} {name}: no PodDisruptionBudget")
        c.expect(any(p["spec"]["podSelector"] != {} and selects(p["spec"]["podSelector"], labels)
                     for p in policies), f"{where} {name}: no NetworkPolicy of its own")
        replicas = d["spec"].get("replicas", 1)
        if overlay == "dev":
            c.expect(replicas == 1, f"{where} {name}: {replicas} replicas, dev wants 1")
        else:
            c.expect(replicas >= 2, f"{where} {name}: {replicas} replicas, production wants >= 2")
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    c.expect({h["metadata"]["name"] for h in hpas} == set(HPA_TARGETS),
             f"{where} HPAs are not exactly {HPA_TARGETS}")
    for h in hpas:
        ref = h["spec"]["scaleTargetRef"]
        c.expect(h["apiVersion"] == "autoscaling/v2", f"{where} HPA {h['metadata']['name']} not autoscaling/v2")
        c.expect(ref["kind"] == "Deployment" and ref["name"] in deployments,
                 f"{where} HPA {h['metadata']['name']} targets a missing {ref['kind']} {ref['name']}")
        c.expect(h["spec"].get("minReplicas", 1) <= h["spec"]["maxReplicas"],
                 f"{where} HPA {h['metadata']['name']}: minReplicas > maxReplicas")
    c.expect(any(m["apiVersion"] == "monitoring.coreos.com/v1" for m in by_kind.get("ServiceMonitor", [])),
             f"{where} no ServiceMonitor")
    c.expect(bool(by_kind.get("ConfigMap")), f"{where} no ConfigMap")
    # Every ConfigMap/Secret a pod refers to exists, except the ones the operator creates.
    external_secrets = {"mailsuite-tls"} | ({"mailsuite-db"} if overlay == "production" else set())
    names = {k: {d["metadata"]["name"] for d in by_kind.get(k, [])} for k in ("ConfigMap", "Secret")}
    for d in list(deployments.values()) + by_kind.get("StatefulSet", []) + by_kind.get("Job", []):
        spec = d["spec"]["template"]["spec"]
        refs = []
        for ct in spec["containers"]:
            for e in ct.get("envFrom", []):
                refs += [("ConfigMap", e["configMapRef"]["name"])] if "configMapRef" in e else []
                refs += [("Secret", e["secretRef"]["name"])] if "secretRef" in e else []
            for e in ct.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                refs += [("Secret", ref["name"])] if ref else []
        for v in spec.get("volumes", []):
            refs += [("Secret", v["secret"]["secretName"])] if "secret" in v else []
        for kind, ref in refs:
            c.expect(ref in names[kind] or (kind == "Secret" and ref in external_secrets),
                     f"{where} {d['metadata']['name']} refers to a missing {kind} {ref}")

    # The database: a StatefulSet in dev, a CloudNativePG Cluster with replicas in production.
    if overlay == "dev":
        sts = by_kind.get("StatefulSet", [])
        c.expect(any(s["metadata"]["name"] == "postgres" and s["spec"].get("volumeClaimTemplates")
                     for s in sts), f"{where} no postgres StatefulSet with a PVC")
        db_labels = sts[0]["spec"]["template"]["metadata"]["labels"] if sts else {}
    else:
        clusters = [d for d in by_kind.get("Cluster", []) if d["apiVersion"] == "postgresql.cnpg.io/v1"]
        c.expect(clusters and clusters[0]["spec"].get("instances", 1) >= 3,
                 f"{where} no CloudNativePG Cluster with >= 3 instances")
        db_labels = dict(clusters[0]["spec"].get("inheritedMetadata", {}).get("labels", {})) if clusters else {}
        db_labels["cnpg.io/cluster"] = clusters[0]["metadata"]["name"] if clusters else ""

    # NetworkPolicies: every flow of §1 allowed, nothing else between these pods and ports.
    pods = {n: (d["spec"]["template"]["metadata"]["labels"], True) for n, d in deployments.items()}
    jobs = [j for j in by_kind.get("Job", [])
            if j["spec"]["template"]["metadata"].get("labels", {}).get(NAME) == "mailctl"]
    pods["mailctl"] = (jobs[0]["spec"]["template"]["metadata"]["labels"] if jobs else
                       {NAME: "mailctl", "app.kubernetes.io/part-of": "mailsuite"}, True)
    pods["database"] = (db_labels, True)
    pods["prometheus"] = ({NAME: "prometheus"}, False)
    pods["any"] = ({}, False)
    targets = {n: {p["containerPort"] for ct in d["spec"]["template"]["spec"]["containers"]
                   for p in ct.get("ports", [])} for n, d in deployments.items()}
    targets["database"] = {5432}
    for src in pods:
        for dst, ports in targets.items():
            if src == dst:
                continue
            for port in sorted(ports):
                flow = (src, dst, port)
                ok = allowed(policies, pods[src], pods[dst], port)
                # The mail ports are public, so whether another pod's egress policy lets it
                # reach them is no concern here; "any" -> them is in EXPECTED_FLOWS.
                if port in FRONT_ENDS.get(dst, ()) and flow not in EXPECTED_FLOWS:
                    continue
                if flow in EXPECTED_FLOWS:
                    c.expect(ok, f"{where} NetworkPolicies block {src} -> {dst}:{port}")
                else:
                    c.expect(not ok, f"{where} NetworkPolicies allow {src} -> {dst}:{port}, "
                                     "which ARCHITECTURE.md §1 does not have")
    # Outbound SMTP and DNS leave the cluster.
    c.expect(allowed(policies, pods["outbound-relay"], ({}, False), 25),
             f"{where} outbound-relay cannot reach remote MX hosts on port 25")
    c.expect(allowed(policies, pods["dns-resolver"], ({}, False), 53),
             f"{where} dns-resolver cannot reach upstream DNS on port 53")
    c.expect(not allowed(policies, pods["mailbox-store"], ({}, False), 25),
             f"{where} mailbox-store may send SMTP to the world")


def main():
    kubectl = deploylib.tool("kubectl", "KUBECTL")
    c = deploylib.Checker("deploy.k8s")
    for overlay in ("dev", "production"):
        check_overlay(c, overlay, render(kubectl, overlay))
    c.exit()


if __name__ == "__main__":
    main()
