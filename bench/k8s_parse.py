"""Kubernetes dump parsing benchmark: the DAG's parse path against plain json.load and raw ijson, on generated dumps.

    python bench/k8s_parse.py [--pods 5000 --big-mb 500 --repeat 3]
    python bench/k8s_parse.py --quick      # 100 pods and a >= 20 MiB dump: a smoke test (checks the row counts)
    python bench/k8s_parse.py --no-managed-fields   # objects as kubectl >= 1.21 prints them by default

1. Generates two dumps shaped like a bastion's `kubectl get <14 kinds> --all-namespaces -o json`
   (a `List`, 4-space indented and keys sorted like kubectl prints the unstructured objects it gets,
   items grouped by kind in the order the bastion asks for):
   a `--pods` cluster with every other kind in proportion (nodes, daemonsets on every node, deployments
   with their current and old replicasets, services, ingresses, statefulsets with volumes, cronjobs and
   their jobs, events...), and a bigger cluster of the same shape of at least `--big-mb` MiB. Pods have
   init and sidecar containers, env vars, resources, probes, volumes, conditions and containerStatuses;
   some crash-loop, some are evicted or pending. Objects carry managedFields (the API server's; kubectl
   >= 1.21 hides them unless --show-managed-fields, older clients and API-direct dumps keep them) and
   apply'd objects their last-applied-configuration. Each dump is written item by item, plain and
   gzipped (level 6, like the bastion's `gzip`), into a temporary folder; never held whole.
2. Measures each stage in a fresh subprocess, so its peak RSS (VmHWM) is its own; one tiny dump goes through
   first, so lazy imports are not timed:
     gunzip        reading the gzip through, nothing else
     json.load     the whole document as Python objects (the naive baseline; small dump only)
     ijson.items   raw `ijson.items(gzip, "items.item")`: streamed objects, no checks, no rows
     iter_objects  our parser (top-level checks, every object checked)
     iter_rows     + `to_row` per object (columns, labels, timestamps, `raw` JSON)
     pipeline      the parse path: `iter_batches` over the gzipped dump, each batch made a pyarrow
                   Table with `pa.Table.from_pylist(rows, schema=SCHEMAS[table])` (the lake writer's step)
     write_dump    the DAG's own step (`pipeline.k8s_inventory.write_dump`): the same batches into one
                   Parquet file per kind in a local lake (row groups of 20,000 rows, zstd)
   Each dump's stages run `--repeat` times, interleaved, the best kept (the machine is shared and noisy).
3. Prints uncompressed MB/s (1 MB = 10^6 bytes), CPU seconds, peak RSS (MiB) and ratios against the
   baselines; checks the pipeline's rows per table against the objects generated per kind; prints
   [MET]/[MISSED] against the targets: >= 30 MB/s on one core, peak RSS < 1 GiB for the big dump.
4. Hostile dumps (`HOSTILE`), each at two sizes (one, smaller, in --quick): an item nested 100,000 levels,
   a GiB of whitespace inside a pod, a 100 MiB string, a 100 MiB item, a 100 MiB single object, and items
   whose 4 MiB strings are all closing braces; each gzipped, through the DAG's write_dump with the default
   limits, beside a kubectl-shaped dump of the same gzip size. Targets: each refused (the braces read whole),
   peak RSS < 1 GiB, and twice the input at most 2.5x the CPU time.
   Exits 1 if a target is missed (not in --quick), 2 if rows were lost, a stage failed or (--quick) a hostile
   dump was not refused.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PLUGINS = str(ROOT / "plugins")

TARGET_MB_S = 30.0
TARGET_RSS_MB = 1024
MB = 1_000_000
MIB = 1024 * 1024

# the bastion's kinds, in the order it asks for them (kubectl prints the items in that order)
ORDER = ("pod", "service", "ingress", "deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob",
         "node", "persistentvolumeclaim", "persistentvolume", "namespace", "event")

# ==================================================================================================
# generating a cluster
# ==================================================================================================

NOW = 1_795_680_000  # 2026-11-25T00:00:00Z, a fixed "dump time" so dumps are reproducible
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
TEAMS = ("payments", "checkout", "search", "catalog", "identity", "ledger", "notify", "media", "fraud", "growth",
         "pricing", "orders", "shipping", "reviews", "ads", "data")
APPS = ("api", "web", "worker", "consumer", "gateway", "scheduler", "indexer", "sync", "exporter", "cache-warmer",
        "admin", "webhook", "reporter", "grpc", "batch", "events")
ENV_NAMES = ("LOG_LEVEL", "PORT", "DATABASE_HOST", "DATABASE_NAME", "REDIS_URL", "KAFKA_BROKERS", "AWS_REGION",
             "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "FEATURE_FLAGS_URL", "HTTP_TIMEOUT_MS",
             "MAX_CONNECTIONS", "CACHE_TTL_SECONDS", "JAVA_OPTS", "GOMAXPROCS", "SENTRY_ENVIRONMENT",
             "TRACING_SAMPLE_RATE", "QUEUE_NAME", "S3_BUCKET", "UPSTREAM_URL")
DAEMONSETS = (("kube-system", "aws-node", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.5"),
              ("kube-system", "kube-proxy", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.31.2"),
              ("kube-system", "ebs-csi-node", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.36.0"),
              ("logging", "fluent-bit", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4"),
              ("monitoring", "node-exporter", "quay.io/prometheus/node-exporter:v1.8.2"),
              ("monitoring", "datadog-agent", "gcr.io/datadoghq/agent:7.58.0"),
              ("kube-system", "efs-csi-node", "public.ecr.aws/efs-csi-driver/amazon/aws-efs-csi-driver:v2.0.9"),
              ("kube-system", "secrets-store-csi-driver", "registry.k8s.io/csi-secrets-store/driver:v1.4.6"))
# lists the API server's field manager treats as one value (no per-item entries in managedFields)
ATOMIC_LISTS = frozenset({"containerStatuses", "initContainerStatuses", "images", "args", "command", "finalizers",
                          "accessModes", "tolerations", "clusterIPs", "ipFamilies"})


def stamp(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - int(seconds_ago)))


def plan(pods: int) -> dict[str, int]:
    """How many of each controller a `pods`-pod cluster has (the rest follows from these)."""
    nodes = max(2, round(pods / 30))  # ~30 pods per m5.xlarge-class node
    return {"nodes": nodes,
            "namespaces": max(2, round(pods / 75)),  # team namespaces, besides the six system ones
            "daemonsets": len(DAEMONSETS) if pods >= 1000 else 4,
            "statefulsets": max(1, round(pods / 100)),
            "cronjobs": max(1, round(pods / 150)),
            "events": pods}


class Gen:
    """Builds a cluster's objects kind by kind, in the bastion's order, without keeping them."""

    def __init__(self, pods: int, seed: int = 7, managed_fields: bool = True):
        """managed_fields: every object carries metadata.managedFields (kubectl < 1.21, --show-managed-fields, the API)."""
        self.rng = random.Random(seed)
        self.pods_target = pods
        self.managed = managed_fields
        self.rv = 41_000_000
        p = plan(pods)
        rng = self.rng
        self.nodes = [self._node_name(i) for i in range(p["nodes"])]
        self.namespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "logging", "monitoring"]
        while len(self.namespaces) < p["namespaces"] + 6:
            name = f"{TEAMS[len(self.namespaces) % len(TEAMS)]}-{('prod', 'canary', 'jobs', 'internal')[len(self.namespaces) // len(TEAMS) % 4]}"
            self.namespaces.append(name if name not in self.namespaces else f"{name}-{len(self.namespaces)}")
        team_ns = self.namespaces[6:]
        self.daemonsets = [{"ns": ns, "name": name, "image": image, "uid": self._uid()}
                           for ns, name, image in DAEMONSETS[:p["daemonsets"]]]
        self.statefulsets = [{"ns": rng.choice(team_ns), "name": f"{('redis', 'kafka', 'zookeeper', 'postgres', 'rabbitmq', 'es')[i % 6]}-{i}",
                              "replicas": 3, "uid": self._uid(), "rev": self._hash()} for i in range(p["statefulsets"])]
        self.cronjobs = [{"ns": rng.choice(team_ns), "name": f"{rng.choice(TEAMS)}-{('report', 'cleanup', 'sync', 'backup')[i % 4]}-{i}",
                          "uid": self._uid(), "schedule": f"{rng.randrange(60)} {rng.choice(('*', '*/2', '3', '*/6'))} * * *"}
                         for i in range(p["cronjobs"])]
        self.jobs = [{"ns": cj["ns"], "name": f"{cj['name']}-{29_390_000 + k * 60 + i}", "uid": self._uid(), "cronjob": cj,
                      "failed": rng.random() < 0.05, "age": 3600 * (k + 1) + rng.randrange(600)}
                     for i, cj in enumerate(self.cronjobs) for k in range(3)]
        fixed_pods = len(self.daemonsets) * len(self.nodes) + 3 * len(self.statefulsets) + len(self.jobs)
        remaining = max(0, pods - fixed_pods)
        self.deployments = []
        while remaining > 0:
            replicas = min(remaining, rng.choice((1, 2, 2, 2, 3, 3, 3, 4, 6, 10)))
            ns = rng.choice(team_ns)
            name = f"{ns.split('-')[0]}-{rng.choice(APPS)}-{len(self.deployments)}"
            self.deployments.append({"ns": ns, "name": name, "replicas": replicas, "uid": self._uid(),
                                     "rs": [self._hash() for _ in range(1 + rng.choice((0, 1, 2, 2, 3, 3, 4)))], "rs_uid": self._uid(),
                                     "seed": rng.getrandbits(32),
                                     "containers": 1 + rng.choice((0, 1, 1, 2)), "public": rng.random() < 0.2,
                                     "pvc": rng.random() < 0.05})
            remaining -= replicas
        self.pvcs = ([{"ns": s["ns"], "name": f"data-{s['name']}-{k}", "uid": self._uid(), "size": f"{rng.choice((10, 20, 50, 100))}Gi"}
                      for s in self.statefulsets for k in range(s["replicas"])]
                     + [{"ns": d["ns"], "name": f"{d['name']}-data", "uid": self._uid(), "size": "5Gi"}
                        for d in self.deployments if d["pvc"]])
        self.released = max(1, len(self.pvcs) // 20)
        self.events = p["events"]
        self.counts: Counter = Counter()

    # -- small helpers ---------------------------------------------------------------------------------

    def _uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hash(self) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))

    def _suffix(self) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))

    def _node_name(self, i: int) -> str:
        return f"ip-10-{20 + i // 250 % 3}-{i // 4 % 250}-{i % 250 + 4}.eu-west-1.compute.internal"

    def _ip(self) -> str:
        return f"10.{20 + self.rng.randrange(3)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"

    def _rv(self) -> str:
        self.rv += self.rng.randrange(1, 300)
        return str(self.rv)

    def _meta(self, name: str, ns: str | None, age: float, labels: dict | None = None, annotations: dict | None = None,
              owner: tuple[str, str, str, str] | None = None, uid: str | None = None, generate: str | None = None) -> dict:
        meta: dict = {"name": name}
        if generate:
            meta["generateName"] = generate
        if ns:
            meta["namespace"] = ns
        meta["uid"] = uid or self._uid()
        meta["resourceVersion"] = self._rv()
        meta["creationTimestamp"] = stamp(age)
        if labels:
            meta["labels"] = labels
        if annotations:
            meta["annotations"] = annotations
        if owner:
            api_version, kind, owner_name, owner_uid = owner
            meta["ownerReferences"] = [{"apiVersion": api_version, "kind": kind, "name": owner_name, "uid": owner_uid,
                                        "controller": True, "blockOwnerDeletion": True}]
        return meta

    def _fields(self, value) -> dict:
        """managedFields' fieldsV1 of a value: the set of fields it sets, as the API server records it."""
        if isinstance(value, dict):
            out = {".": {}} if value else {}
            for key, item in value.items():
                out[f"f:{key}"] = {} if key in ATOMIC_LISTS else self._fields(item)
            return out
        if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            out = {".": {}}
            for item in value:
                key = next(({k: item[k]} for k in ("name", "type", "containerPort", "ip", "key") if k in item), None)
                out["k:" + json.dumps(key, separators=(",", ":")) if key else "v:" + json.dumps(item)[:40]] = self._fields(item)
            return out
        return {}

    def _finish(self, obj: dict, table: str, manager: str, status_manager: str | None = None) -> dict:
        if self.managed:
            meta = obj["metadata"]
            fields = {"f:metadata": self._fields({k: v for k, v in meta.items() if k in ("labels", "annotations", "ownerReferences", "generateName")})}
            if "spec" in obj:
                fields["f:spec"] = self._fields(obj["spec"])
            managed = [{"manager": manager, "operation": "Update", "apiVersion": obj["apiVersion"],
                        "time": meta["creationTimestamp"], "fieldsType": "FieldsV1", "fieldsV1": fields}]
            if status_manager and "status" in obj:
                managed.append({"manager": status_manager, "operation": "Update", "apiVersion": obj["apiVersion"],
                                "time": stamp(self.rng.randrange(60, 3600)), "fieldsType": "FieldsV1",
                                "fieldsV1": {"f:status": self._fields(obj["status"])}, "subresource": "status"})
            meta["managedFields"] = managed
        self.counts[table] += 1
        return obj

    def _applied(self, obj: dict) -> dict:
        """kubectl apply's annotation: the object as last applied, compact JSON in a string."""
        applied = {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
                   "metadata": {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace", "labels")},
                   "spec": obj.get("spec", {})}
        obj["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = \
            json.dumps(applied, separators=(",", ":"), sort_keys=True) + "\n"
        return obj

    # -- pod templates ----------------------------------------------------------------------------------

    def _container(self, name: str, image: str, app: str, main: bool) -> dict:
        rng = self.rng
        env = []
        for key in rng.sample(ENV_NAMES, rng.randrange(4, 13) if main else rng.randrange(1, 4)):
            env.append({"name": key, "value": f"{app}-{key.lower().replace('_', '-')}-{rng.randrange(1000)}"})
        if main:
            env.append({"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}}})
            env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}})
            env.append({"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}})
        cpu = rng.choice(("50m", "100m", "250m", "500m", "1", "2")) if main else rng.choice(("10m", "50m", "100m"))
        memory = rng.choice(("128Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi")) if main else rng.choice(("32Mi", "64Mi", "128Mi"))
        resources = {"requests": {"cpu": cpu, "memory": memory}}
        if rng.random() < 0.7:
            resources["limits"] = {"memory": memory} if rng.random() < 0.5 else {"cpu": cpu, "memory": memory}
        container = {"name": name, "image": image}
        if main:
            container["args"] = ["--config=/etc/app/config.yaml", f"--listen=:{8080}", "--metrics=:9090"]
            container["ports"] = [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
        container["env"] = env
        if main and rng.random() < 0.5:
            container["envFrom"] = [{"configMapRef": {"name": f"{app}-env"}}]
        container["resources"] = resources
        container["volumeMounts"] = [{"name": "config", "readOnly": True, "mountPath": "/etc/app"},
                                     {"name": "kube-api-access", "readOnly": True,
                                      "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
        if main:
            probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "timeoutSeconds": 1,
                     "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
            container["livenessProbe"] = {**probe, "initialDelaySeconds": 15}
            container["readinessProbe"] = {**probe, "httpGet": {**probe["httpGet"], "path": "/ready"}}
        container.update({"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                          "imagePullPolicy": "IfNotPresent",
                          "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                              "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}})
        return container

    def _pod_spec(self, app: str, image: str, containers: int, init: bool, node: str | None = None,
                  volumes_extra: list | None = None, restart: str = "Always") -> dict:
        rng = self.rng
        main = self._container(app.rsplit("-", 1)[0] if app[-1].isdigit() else app, image, app, True)
        sidecars = [("envoy", "envoyproxy/envoy:v1.31.2"), ("fluent-bit", "fluent/fluent-bit:3.1.9"),
                    ("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1")]
        spec: dict = {"volumes": [
            {"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}},
            {"name": "kube-api-access", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                           "fieldPath": "metadata.namespace"}}]}}],
                "defaultMode": 420}}] + (volumes_extra or [])}
        if init:
            spec["initContainers"] = [self._container("migrate", image, app, False)]
        spec["containers"] = [main] + [self._container(name, img, app, False) for name, img in sidecars[:containers - 1]]
        spec.update({"restartPolicy": restart, "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                     "serviceAccountName": app, "serviceAccount": app})
        if node:
            spec["nodeName"] = node
        spec.update({"securityContext": {"runAsUser": 1000, "fsGroup": 2000}, "schedulerName": "default-scheduler",
                     "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                                      "tolerationSeconds": 300},
                                     {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                      "effect": "NoExecute", "tolerationSeconds": 300}],
                     "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority"})
        if rng.random() < 0.3:
            spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": app}},
                                                    "topologyKey": "topology.kubernetes.io/zone"}}]}}
        return spec

    def _image(self, team: str, app: str) -> str:
        return f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{team}/{app}:{self.rng.randrange(1, 400)}.{self.rng.randrange(30)}.{self.rng.randrange(10)}"

    # -- pods ---------------------------------------------------------------------------------------------

    def _pod(self, name: str, ns: str, labels: dict, owner: tuple, spec: dict, age: float, health: str,
             generate: str | None) -> dict:
        rng = self.rng
        node = spec.get("nodeName")
        meta = self._meta(name, ns, age, labels=labels, owner=owner, generate=generate,
                          annotations={"prometheus.io/scrape": "true", "prometheus.io/port": "9090"})
        pod = {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec}
        started = stamp(age - 3)
        if health == "pending":
            pod["status"] = {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "lastProbeTime": None, "lastTransitionTime": started,
                 "reason": "Unschedulable",
                 "message": "0/%d nodes are available: 3 Insufficient memory, 2 node(s) had untolerated taint." % len(self.nodes)}],
                "qosClass": "Burstable"}
            del spec["nodeName"]
            return self._finish(pod, "pod", "kube-controller-manager", "kube-scheduler")
        host = self._ip()
        if health == "evicted":
            pod["status"] = {"phase": "Failed", "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91436Ki. Container app was using 1807676Ki, request is 512Mi, has larger consumption of memory.",
                             "reason": "Evicted", "startTime": started, "hostIP": host, "hostIPs": [{"ip": host}],
                             "qosClass": "Burstable"}
            return self._finish(pod, "pod", "kube-controller-manager", "kubelet")
        ip = self._ip()
        succeeded = health == "succeeded"
        ready = health == "ok"
        statuses = []
        for c in spec["containers"]:
            cid = "containerd://" + uuid.UUID(int=self.rng.getrandbits(128)).hex + uuid.UUID(int=self.rng.getrandbits(128)).hex
            status = {"name": c["name"], "state": {"running": {"startedAt": started}}, "lastState": {}, "ready": True,
                      "restartCount": rng.choice((0, 0, 0, 0, 0, 1, 2)), "image": c["image"],
                      "imageID": c["image"].split(":")[0] + "@sha256:" + uuid.UUID(int=rng.getrandbits(128)).hex * 2,
                      "containerID": cid, "started": True}
            if succeeded:
                status.update({"state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started,
                                                        "finishedAt": stamp(age - 60), "containerID": cid}},
                               "ready": False, "started": False, "restartCount": 0})
            elif health == "crash" and c is spec["containers"][0]:
                status.update({"state": {"waiting": {"reason": "CrashLoopBackOff",
                                                     "message": f"back-off 5m0s restarting failed container={c['name']} pod={name}_{ns}({meta['uid']})"}},
                               "lastState": {"terminated": {"exitCode": 137, "reason": rng.choice(("OOMKilled", "Error")),
                                                            "startedAt": stamp(400), "finishedAt": stamp(380), "containerID": cid}},
                               "ready": False, "started": False, "restartCount": rng.randrange(5, 400)})
            statuses.append(status)
        phase = "Succeeded" if succeeded else "Running"
        all_ready = "True" if ready else "False"
        conditions = [{"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": started}
                      for t, s in (("PodReadyToStartContainers", "False" if succeeded else "True"), ("Initialized", "True"),
                                   ("Ready", all_ready), ("ContainersReady", all_ready), ("PodScheduled", "True"))]
        for cond in conditions:
            if cond["status"] == "False" and cond["type"] in ("Ready", "ContainersReady"):
                cond["reason"] = "PodCompleted" if succeeded else "ContainersNotReady"
                if not succeeded:
                    cond["message"] = f"containers with unready status: [{spec['containers'][0]['name']}]"
        status = {"phase": phase, "conditions": conditions, "hostIP": host, "hostIPs": [{"ip": host}], "podIP": ip,
                  "podIPs": [{"ip": ip}], "startTime": started}
        if "initContainers" in spec:
            init = spec["initContainers"][0]
            status["initContainerStatuses"] = [{"name": init["name"], "state": {"terminated": {
                "exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": started}},
                "lastState": {}, "ready": True, "restartCount": 0, "image": init["image"],
                "imageID": init["image"].split(":")[0] + "@sha256:" + uuid.UUID(int=rng.getrandbits(128)).hex * 2,
                "started": False}]
        status["containerStatuses"] = statuses
        status["qosClass"] = "Burstable"
        pod["status"] = status
        return self._finish(pod, "pod", "kube-controller-manager", "kubelet")

    def _health(self) -> str:
        roll = self.rng.random()
        return "crash" if roll < 0.02 else "evicted" if roll < 0.03 else "pending" if roll < 0.035 else "ok"

    def pods(self):
        rng = self.rng
        for d in self.deployments:
            team = d["ns"].split("-")[0]
            image = self._shape(d)[0]
            current = d["rs"][0]
            for _ in range(d["replicas"]):
                labels = {"app": d["name"], "app.kubernetes.io/name": d["name"], "app.kubernetes.io/part-of": team,
                          "pod-template-hash": current, "team": team, "version": image.rsplit(":", 1)[1]}
                spec = self._pod_spec(d["name"], image, d["containers"], rng.random() < 0.2, rng.choice(self.nodes))
                name = f"{d['name']}-{current}-{self._suffix()}"
                yield self._pod(name, d["ns"], labels, ("apps/v1", "ReplicaSet", f"{d['name']}-{current}", d["rs_uid"]),
                                spec, rng.randrange(600, 40 * 86400), self._health(), f"{d['name']}-{current}-")
        for s in self.statefulsets:
            for k in range(s["replicas"]):
                spec = self._pod_spec(s["name"], f"docker.io/library/{s['name'].split('-')[0]}:7.4", 1, False,
                                      rng.choice(self.nodes), [{"name": "data", "persistentVolumeClaim": {
                                          "claimName": f"data-{s['name']}-{k}"}}])
                labels = {"app": s["name"], "controller-revision-hash": f"{s['name']}-{s['rev']}",
                          "statefulset.kubernetes.io/pod-name": f"{s['name']}-{k}"}
                yield self._pod(f"{s['name']}-{k}", s["ns"], labels, ("apps/v1", "StatefulSet", s["name"], s["uid"]),
                                spec, rng.randrange(86400, 90 * 86400), self._health(), s["name"] + "-")
        for ds in self.daemonsets:
            for node in self.nodes:
                spec = self._pod_spec(ds["name"], ds["image"], 1 + rng.choice((0, 0, 1)), False, node)
                spec["tolerations"].append({"operator": "Exists"})
                labels = {"app.kubernetes.io/name": ds["name"], "controller-revision-hash": "6b7c9d8f5",
                          "pod-template-generation": "4"}
                yield self._pod(f"{ds['name']}-{self._suffix()}", ds["ns"], labels,
                                ("apps/v1", "DaemonSet", ds["name"], ds["uid"]), spec,
                                rng.randrange(86400, 30 * 86400), "ok" if rng.random() > 0.005 else "crash",
                                ds["name"] + "-")
        for job in self.jobs:
            spec = self._pod_spec(job["name"].rsplit("-", 1)[0], self._image("batch", "job"), 1, False,
                                  rng.choice(self.nodes), restart="Never")
            labels = {"batch.kubernetes.io/job-name": job["name"], "job-name": job["name"],
                      "batch.kubernetes.io/controller-uid": job["uid"], "controller-uid": job["uid"]}
            yield self._pod(f"{job['name']}-{self._suffix()}", job["ns"], labels,
                            ("batch/v1", "Job", job["name"], job["uid"]), spec, job["age"],
                            "crash" if job["failed"] else "succeeded", job["name"] + "-")

    # -- workloads ------------------------------------------------------------------------------------------

    def _template(self, app: str, image: str, containers: int, labels: dict) -> dict:
        spec = self._pod_spec(app, image, containers, False)
        return {"metadata": {"labels": labels, "annotations": {"prometheus.io/scrape": "true"}}, "spec": spec}

    def _shape(self, d: dict) -> tuple[str, dict, dict, int, int]:
        """A deployment's image, labels, pod template, age and revision: the same for it and its replicasets."""
        saved, self.rng = self.rng, random.Random(d["seed"])
        try:
            team = d["ns"].split("-")[0]
            image = self._image(team, d["name"])
            labels = {"app": d["name"], "app.kubernetes.io/name": d["name"], "team": team}
            template = self._template(d["name"], image, d["containers"], dict(labels))
            return image, labels, template, self.rng.randrange(86400, 400 * 86400), len(d["rs"]) + self.rng.randrange(5)
        finally:
            self.rng = saved

    def deployments_out(self):
        rng = self.rng
        for d in self.deployments:
            _, labels, template, age, revision = self._shape(d)
            unavailable = rng.random() < 0.03
            ready = d["replicas"] - (1 if unavailable else 0)
            dep = {"kind": "Deployment", "apiVersion": "apps/v1",
                   "metadata": self._meta(d["name"], d["ns"], age, labels=labels, uid=d["uid"],
                                          annotations={"deployment.kubernetes.io/revision": str(revision)}),
                   "spec": {"replicas": d["replicas"], "selector": {"matchLabels": {"app": d["name"]}},
                            "template": template,
                            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}}
            dep["metadata"]["generation"] = revision
            dep["status"] = {"observedGeneration": revision, "replicas": d["replicas"], "updatedReplicas": d["replicas"],
                             "readyReplicas": ready, "availableReplicas": ready,
                             "conditions": [
                                 {"type": "Available", "status": "False" if unavailable else "True",
                                  "lastUpdateTime": stamp(3600), "lastTransitionTime": stamp(3600),
                                  "reason": "MinimumReplicasUnavailable" if unavailable else "MinimumReplicasAvailable",
                                  "message": "Deployment does not have minimum availability." if unavailable
                                  else "Deployment has minimum availability."},
                                 {"type": "Progressing", "status": "True", "lastUpdateTime": stamp(7200),
                                  "lastTransitionTime": stamp(age), "reason": "NewReplicaSetAvailable",
                                  "message": f"ReplicaSet \"{d['name']}-{d['rs'][0]}\" has successfully progressed."}]}
            if unavailable:
                dep["status"]["unavailableReplicas"] = 1
            if rng.random() < 0.6:
                self._applied(dep)
            yield self._finish(dep, "deployment", "kubectl-client-side-apply", "kube-controller-manager")

    def replicasets_out(self):
        """The current and old replicasets of every deployment (kubectl prints them after all deployments)."""
        for d in self.deployments:
            _, labels, template, age, revision = self._shape(d)
            for k, rs_hash in enumerate(d["rs"]):
                replicas = d["replicas"] if k == 0 else 0
                rs_labels = {**labels, "pod-template-hash": rs_hash}
                rs = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
                      "metadata": self._meta(f"{d['name']}-{rs_hash}", d["ns"], age / (k + 1), labels=rs_labels,
                                             annotations={"deployment.kubernetes.io/desired-replicas": str(d["replicas"]),
                                                          "deployment.kubernetes.io/max-replicas": str(d["replicas"] + 1),
                                                          "deployment.kubernetes.io/revision": str(revision - k)},
                                             owner=("apps/v1", "Deployment", d["name"], d["uid"]),
                                             uid=d["rs_uid"] if k == 0 else None),
                      "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": d["name"], "pod-template-hash": rs_hash}},
                               "template": {**template, "metadata": {**template["metadata"], "labels": rs_labels}}},
                      "status": {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
                                 "availableReplicas": replicas, "observedGeneration": 1}}
                if not replicas:
                    for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
                        del rs["status"][key]
                yield self._finish(rs, "replicaset", "kube-controller-manager", "kube-controller-manager")

    def statefulsets_out(self):
        rng = self.rng
        for s in self.statefulsets:
            labels = {"app": s["name"]}
            sts = {"kind": "StatefulSet", "apiVersion": "apps/v1",
                   "metadata": self._meta(s["name"], s["ns"], rng.randrange(86400, 300 * 86400), labels=labels, uid=s["uid"]),
                   "spec": {"replicas": s["replicas"], "selector": {"matchLabels": labels},
                            "template": self._template(s["name"], f"docker.io/library/{s['name'].split('-')[0]}:7.4", 1, labels),
                            "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                                      "metadata": {"name": "data"},
                                                      "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
                                                               "resources": {"requests": {"storage": "20Gi"}},
                                                               "volumeMode": "Filesystem"}}],
                            "serviceName": s["name"], "podManagementPolicy": "OrderedReady",
                            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                            "revisionHistoryLimit": 10,
                            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}},
                   "status": {"observedGeneration": 2, "replicas": s["replicas"], "readyReplicas": s["replicas"],
                              "currentReplicas": s["replicas"], "updatedReplicas": s["replicas"],
                              "currentRevision": f"{s['name']}-{s['rev']}", "updateRevision": f"{s['name']}-{s['rev']}",
                              "collisionCount": 0, "availableReplicas": s["replicas"]}}
            yield self._finish(self._applied(sts), "statefulset", "kubectl-client-side-apply", "kube-controller-manager")

    def daemonsets_out(self):
        n = len(self.nodes)
        for ds in self.daemonsets:
            labels = {"app.kubernetes.io/name": ds["name"]}
            obj = {"kind": "DaemonSet", "apiVersion": "apps/v1",
                   "metadata": self._meta(ds["name"], ds["ns"], 200 * 86400, labels=labels, uid=ds["uid"],
                                          annotations={"deprecated.daemonset.template.generation": "4"}),
                   "spec": {"selector": {"matchLabels": labels},
                            "template": self._template(ds["name"], ds["image"], 1, labels),
                            "updateStrategy": {"type": "RollingUpdate",
                                               "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0}},
                            "revisionHistoryLimit": 10},
                   "status": {"currentNumberScheduled": n, "numberMisscheduled": 0, "desiredNumberScheduled": n,
                              "numberReady": n, "observedGeneration": 4, "updatedNumberScheduled": n, "numberAvailable": n}}
            yield self._finish(obj, "daemonset", "helm", "kube-controller-manager")

    def jobs_out(self):
        for job in self.jobs:
            labels = {"batch.kubernetes.io/job-name": job["name"], "batch.kubernetes.io/controller-uid": job["uid"]}
            status = {"startTime": stamp(job["age"]), "terminating": 0, "uncountedTerminatedPods": {}, "ready": 0}
            if job["failed"]:
                status.update({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "lastProbeTime": stamp(job["age"] - 300),
                                                            "lastTransitionTime": stamp(job["age"] - 300),
                                                            "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]})
            else:
                status.update({"succeeded": 1, "completionTime": stamp(job["age"] - 60),
                               "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": stamp(job["age"] - 60),
                                               "lastTransitionTime": stamp(job["age"] - 60)}]})
            obj = {"kind": "Job", "apiVersion": "batch/v1",
                   "metadata": self._meta(job["name"], job["ns"], job["age"], labels=labels, uid=job["uid"],
                                          owner=("batch/v1", "CronJob", job["cronjob"]["name"], job["cronjob"]["uid"])),
                   "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6, "selector": {"matchLabels": {
                       "batch.kubernetes.io/controller-uid": job["uid"]}}, "manualSelector": False,
                       "template": self._template(job["name"], self._image("batch", "job"), 1, labels),
                       "completionMode": "NonIndexed", "suspend": False, "podReplacementPolicy": "TerminatingOrFailed"},
                   "status": status}
            obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
            yield self._finish(obj, "job", "kube-controller-manager", "kube-controller-manager")

    def cronjobs_out(self):
        for cj in self.cronjobs:
            obj = {"kind": "CronJob", "apiVersion": "batch/v1",
                   "metadata": self._meta(cj["name"], cj["ns"], 100 * 86400, uid=cj["uid"], labels={"app": cj["name"]}),
                   "spec": {"schedule": cj["schedule"], "concurrencyPolicy": "Forbid", "suspend": self.rng.random() < 0.05,
                            "jobTemplate": {"metadata": {"creationTimestamp": None},
                                            "spec": {"template": self._template(cj["name"], self._image("batch", "job"), 1,
                                                                                {"app": cj["name"]})}},
                            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1},
                   "status": {"lastScheduleTime": stamp(3600), "lastSuccessfulTime": stamp(3500)}}
            yield self._finish(self._applied(obj), "cronjob", "kubectl-client-side-apply", "kube-controller-manager")

    # -- services, ingresses ---------------------------------------------------------------------------------

    def services(self):
        rng = self.rng
        yield self._finish({"kind": "Service", "apiVersion": "v1",
                            "metadata": self._meta("kubernetes", "default", 400 * 86400,
                                                   labels={"component": "apiserver", "provider": "kubernetes"}),
                            "spec": {"ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 443}],
                                     "clusterIP": "172.20.0.1", "clusterIPs": ["172.20.0.1"], "type": "ClusterIP",
                                     "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                                     "internalTrafficPolicy": "Cluster"},
                            "status": {"loadBalancer": {}}}, "service", "kube-apiserver")
        for owner in [*self.deployments, *self.statefulsets]:
            ip = f"172.20.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            lb = owner.get("public", False)
            spec = {"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http"},
                              {"name": "metrics", "protocol": "TCP", "port": 9090, "targetPort": 9090}],
                    "selector": {"app": owner["name"]}, "clusterIP": ip if "rs" in owner else "None",
                    "clusterIPs": [ip if "rs" in owner else "None"],
                    "type": "LoadBalancer" if lb else "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"}
            status: dict = {"loadBalancer": {}}
            annotations = None
            if lb:
                for port in spec["ports"]:
                    port["nodePort"] = rng.randrange(30000, 32768)
                spec.update({"externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True})
                host = f"k8s-{owner['ns'][:8]}-{owner['name'][:8]}-{self._hash()}.elb.eu-west-1.amazonaws.com"
                status = {"loadBalancer": {"ingress": [{"hostname": host}]}}
                annotations = {"service.beta.kubernetes.io/aws-load-balancer-type": "external",
                               "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                               "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}
            obj = {"kind": "Service", "apiVersion": "v1",
                   "metadata": self._meta(owner["name"], owner["ns"], rng.randrange(86400, 300 * 86400),
                                          labels={"app": owner["name"]}, annotations=annotations),
                   "spec": spec, "status": status}
            yield self._finish(self._applied(obj), "service", "kubectl-client-side-apply",
                               "aws-load-balancer-controller" if lb else None)

    def ingresses(self):
        rng = self.rng
        for i, d in enumerate(self.deployments):
            if i % 5:
                continue
            host = f"{d['name']}.{d['ns'].split('-')[0]}.example.com"
            obj = {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
                   "metadata": self._meta(d["name"], d["ns"], rng.randrange(86400, 300 * 86400), labels={"app": d["name"]},
                                          annotations={"alb.ingress.kubernetes.io/scheme": "internet-facing",
                                                       "alb.ingress.kubernetes.io/target-type": "ip",
                                                       "alb.ingress.kubernetes.io/group.name": d["ns"].split("-")[0],
                                                       "alb.ingress.kubernetes.io/listen-ports": "[{\"HTTPS\":443}]",
                                                       "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:123456789012:certificate/" + self._uid()}),
                   "spec": {"ingressClassName": "alb",
                            "tls": [{"hosts": [host]}],
                            "rules": [{"host": host, "http": {"paths": [
                                {"path": path, "pathType": "Prefix",
                                 "backend": {"service": {"name": d["name"], "port": {"name": "http"}}}}
                                for path in ("/", "/api", "/static")[:rng.randrange(1, 4)]]}}]},
                   "status": {"loadBalancer": {"ingress": [{"hostname": f"k8s-{d['ns'][:8]}-{self._hash()}.eu-west-1.elb.amazonaws.com"}]}}}
            yield self._finish(self._applied(obj), "ingress", "kubectl-client-side-apply", "aws-load-balancer-controller")

    # -- nodes, volumes, namespaces, events --------------------------------------------------------------------

    def nodes_out(self):
        rng = self.rng
        for i, name in enumerate(self.nodes):
            zone = ZONES[i % 3]
            itype = rng.choice(("m5.xlarge", "m5.2xlarge", "m6i.xlarge", "c6i.2xlarge", "r6i.xlarge"))
            ip = name.split(".")[0][3:].replace("-", ".")
            pressure = rng.random() < 0.02
            conditions = []
            for ctype, ok_reason, bad in (("MemoryPressure", "KubeletHasSufficientMemory", False),
                                          ("DiskPressure", "KubeletHasNoDiskPressure", pressure),
                                          ("PIDPressure", "KubeletHasSufficientPID", False),
                                          ("Ready", "KubeletReady", False)):
                status = ("True" if ctype == "Ready" else "False") if not bad else "True"
                conditions.append({"type": ctype, "status": status, "lastHeartbeatTime": stamp(rng.randrange(60)),
                                   "lastTransitionTime": stamp(rng.randrange(3600, 30 * 86400)),
                                   "reason": ok_reason if not bad else "KubeletHasDiskPressure",
                                   "message": f"kubelet {'has disk pressure' if bad else 'is posting ready status' if ctype == 'Ready' else 'has sufficient ' + ctype[:-8].lower() + ' available'}"})
            images = [{"names": [f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{rng.choice(TEAMS)}/{rng.choice(APPS)}@sha256:{uuid.UUID(int=rng.getrandbits(128)).hex * 2}",
                                 f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{rng.choice(TEAMS)}/{rng.choice(APPS)}:{rng.randrange(400)}.{rng.randrange(30)}.0"],
                       "sizeBytes": rng.randrange(5_000_000, 900_000_000)} for _ in range(rng.randrange(25, 50))]
            obj = {"kind": "Node", "apiVersion": "v1",
                   "metadata": self._meta(name, None, rng.randrange(3600, 30 * 86400), labels={
                       "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": itype,
                       "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": rng.choice(("ON_DEMAND", "SPOT")),
                       "eks.amazonaws.com/nodegroup": f"general-{i % 3}", "eks.amazonaws.com/nodegroup-image": "ami-0c55b159cbfafe1f0",
                       "failure-domain.beta.kubernetes.io/region": "eu-west-1", "failure-domain.beta.kubernetes.io/zone": zone,
                       "k8s.io/cloud-provider-aws": uuid.UUID(int=rng.getrandbits(128)).hex, "kubernetes.io/arch": "amd64",
                       "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": itype,
                       "topology.ebs.csi.aws.com/zone": zone, "topology.kubernetes.io/region": "eu-west-1",
                       "topology.kubernetes.io/zone": zone},
                       annotations={"alpha.kubernetes.io/provided-node-ip": ip, "csi.volume.kubernetes.io/nodeid":
                                    json.dumps({"ebs.csi.aws.com": f"i-0{rng.getrandbits(64):016x}"}),
                                    "node.alpha.kubernetes.io/ttl": "0",
                                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"}),
                   "spec": {"podCIDR": f"10.100.{i % 256}.0/24", "providerID": f"aws:///{zone}/i-0{rng.getrandbits(64):016x}"},
                   "status": {"capacity": {"cpu": "4", "ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0",
                                           "hugepages-2Mi": "0", "memory": "15896132Ki", "pods": "58"},
                              "allocatable": {"cpu": "3920m", "ephemeral-storage": "76224326324", "hugepages-1Gi": "0",
                                              "hugepages-2Mi": "0", "memory": "14879300Ki", "pods": "58"},
                              "conditions": conditions,
                              "addresses": [{"type": "InternalIP", "address": ip}, {"type": "InternalDNS", "address": name},
                                            {"type": "Hostname", "address": name}],
                              "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                              "nodeInfo": {"machineID": uuid.UUID(int=rng.getrandbits(128)).hex,
                                           "systemUUID": str(uuid.UUID(int=rng.getrandbits(128))).upper(),
                                           "bootID": str(uuid.UUID(int=rng.getrandbits(128))),
                                           "kernelVersion": "5.10.227-219.884.amzn2.x86_64", "osImage": "Amazon Linux 2",
                                           "containerRuntimeVersion": "containerd://1.7.23",
                                           "kubeletVersion": "v1.31.2-eks-94953ac", "kubeProxyVersion": "v1.31.2-eks-94953ac",
                                           "operatingSystem": "linux", "architecture": "amd64"},
                              "images": images}}
            if pressure:
                obj["spec"]["taints"] = [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule",
                                          "timeAdded": stamp(600)}]
            yield self._finish(obj, "node", "kubelet", "kubelet")

    def volumes(self):
        rng = self.rng
        pvs = []
        for c in self.pvcs:
            pv_name = "pvc-" + c["uid"]
            claim = {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                     "metadata": self._meta(c["name"], c["ns"], rng.randrange(86400, 300 * 86400), uid=c["uid"],
                                            annotations={"pv.kubernetes.io/bind-completed": "yes",
                                                         "pv.kubernetes.io/bound-by-controller": "yes",
                                                         "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                                                         "volume.kubernetes.io/selected-node": rng.choice(self.nodes),
                                                         "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"}),
                     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": c["size"]}},
                              "storageClassName": "gp3", "volumeMode": "Filesystem", "volumeName": pv_name},
                     "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": c["size"]}}}
            claim["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
            yield self._finish(claim, "persistentvolumeclaim", "kube-controller-manager", "kube-controller-manager")
            pvs.append((pv_name, c, "Bound"))
        for k in range(self.released):
            pvs.append((f"pvc-{self._uid()}", {"ns": "shop", "name": f"data-old-{k}", "uid": self._uid(), "size": "50Gi"}, "Released"))
        self._pvs = pvs

    def pvs_out(self):
        rng = self.rng
        for pv_name, c, phase in self._pvs:
            zone = rng.choice(ZONES)
            obj = {"kind": "PersistentVolume", "apiVersion": "v1",
                   "metadata": self._meta(pv_name, None, rng.randrange(86400, 300 * 86400),
                                          annotations={"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com",
                                                       "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                                                       "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""}),
                   "spec": {"capacity": {"storage": c["size"]},
                            "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": f"vol-0{rng.getrandbits(64):016x}",
                                    "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1730270000000-8081-ebs.csi.aws.com"}},
                            "accessModes": ["ReadWriteOnce"],
                            "claimRef": {"kind": "PersistentVolumeClaim", "namespace": c["ns"], "name": c["name"],
                                         "uid": c["uid"], "apiVersion": "v1", "resourceVersion": self._rv()},
                            "persistentVolumeReclaimPolicy": "Delete" if phase == "Bound" else "Retain",
                            "storageClassName": "gp3", "volumeMode": "Filesystem",
                            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}}},
                   "status": {"phase": phase, "lastPhaseTransitionTime": stamp(rng.randrange(3600, 86400 * 30))}}
            obj["metadata"]["finalizers"] = ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"]
            yield self._finish(obj, "persistentvolume", "csi-provisioner", "kube-controller-manager")

    def namespaces_out(self):
        for ns in self.namespaces:
            labels = {"kubernetes.io/metadata.name": ns}
            if "-" in ns and ns.split("-")[0] in TEAMS:
                labels.update({"team": ns.split("-")[0], "environment": ns.split("-")[1]})
            obj = {"kind": "Namespace", "apiVersion": "v1",
                   "metadata": self._meta(ns, None, 400 * 86400, labels=labels),
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
            yield self._finish(obj, "namespace", "kubectl-create")

    def events_out(self):
        rng = self.rng
        reasons = (("Normal", "Scheduled", "default-scheduler", "Successfully assigned {ns}/{name} to {node}"),
                   ("Normal", "Pulled", "kubelet", "Container image \"{image}\" already present on machine"),
                   ("Normal", "Created", "kubelet", "Created container app"),
                   ("Normal", "Started", "kubelet", "Started container app"),
                   ("Warning", "BackOff", "kubelet", "Back-off restarting failed container app in pod {name}_{ns}({uid})"),
                   ("Warning", "Unhealthy", "kubelet", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
                   ("Normal", "Killing", "kubelet", "Stopping container app"),
                   ("Normal", "SuccessfulCreate", "replicaset-controller", "Created pod: {name}"))
        for i in range(self.events):
            d = rng.choice(self.deployments) if self.deployments else {"ns": "default", "name": "x", "rs": ["a"]}
            name = f"{d['name']}-{d['rs'][0]}-{self._suffix()}"
            etype, reason, component, message = reasons[i % len(reasons)] if rng.random() < 0.7 else rng.choice(reasons)
            node = rng.choice(self.nodes)
            uid = self._uid()
            first = rng.randrange(60, 3600)
            count = rng.choice((1, 1, 1, 2, 3, 12, 40, 412)) if etype == "Warning" else 1
            obj = {"kind": "Event", "apiVersion": "v1",
                   "metadata": self._meta(f"{name}.{rng.getrandbits(60):x}", d["ns"], first),
                   "involvedObject": {"kind": "Pod", "namespace": d["ns"], "name": name, "uid": uid, "apiVersion": "v1",
                                      "resourceVersion": self._rv(), "fieldPath": "spec.containers{app}"},
                   "reason": reason,
                   "message": message.format(ns=d["ns"], name=name, node=node, uid=uid, image=self._image("x", d["name"])),
                   "source": {"component": component, "host": node} if component == "kubelet" else {"component": component},
                   "firstTimestamp": stamp(first), "lastTimestamp": stamp(rng.randrange(0, first)), "count": count,
                   "type": etype, "eventTime": None, "reportingComponent": component,
                   "reportingInstance": node if component == "kubelet" else ""}
            yield self._finish(obj, "event", "kubelet" if component == "kubelet" else component)

    def items(self):
        """Every object, in the bastion's kind order."""
        yield from self.pods()
        yield from self.services()
        yield from self.ingresses()
        yield from self.deployments_out()
        yield from self.replicasets_out()
        yield from self.statefulsets_out()
        yield from self.daemonsets_out()
        yield from self.jobs_out()
        yield from self.cronjobs_out()
        yield from self.nodes_out()
        yield from self.volumes()
        yield from self.pvs_out()
        yield from self.namespaces_out()
        yield from self.events_out()


def write_dump(directory: str, label: str, pods: int, seed: int = 7, managed_fields: bool = True) -> dict:
    """Writes <label>.json and <label>.json.gz item by item, like kubectl then the bastion's gzip; returns what it made."""
    started = time.monotonic()
    gen = Gen(pods, seed, managed_fields)
    path, gz_path = os.path.join(directory, f"{label}.json"), os.path.join(directory, f"{label}.json.gz")
    size = 0
    pending: list[bytes] = []
    pending_size = 0
    with open(path, "wb") as plain, gzip.open(gz_path, "wb", compresslevel=6) as packed:
        def emit(text: str, flush: bool = False) -> None:
            nonlocal size, pending_size
            data = text.encode()
            pending.append(data)
            pending_size += len(data)
            size += len(data)
            if flush or pending_size >= 1 << 20:
                chunk = b"".join(pending)
                plain.write(chunk)
                packed.write(chunk)
                pending.clear()
                pending_size = 0
        emit('{\n    "apiVersion": "v1",\n    "items": [\n')
        first = True
        for obj in gen.items():
            text = json.dumps(obj, indent=4, sort_keys=True)
            emit(("" if first else ",\n") + "        " + text.replace("\n", "\n        "))
            first = False
        emit('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n', flush=True)
    expected = {table: gen.counts.get(table, 0) for table in ORDER}
    expected["other"] = 0
    return {"label": label, "pods": pods, "path": path, "gz_path": gz_path, "bytes": size,
            "gz_bytes": os.path.getsize(gz_path), "objects": sum(expected.values()), "expected": expected,
            "seconds": time.monotonic() - started}


# ==================================================================================================
# hostile dumps: what an attacker (or a broken bastion) uploads, each at two sizes
# ==================================================================================================

_HEAD = b'{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, '


def _repeat(piece: bytes, total: int) -> Iterator[bytes]:
    """`total` bytes of `piece` repeated, in chunks of about 1 MiB (never held whole)."""
    chunk = piece * max(1, (1 << 20) // len(piece))
    while total > 0:
        yield chunk[:total]
        total -= len(chunk)


def _braces_items(count: int) -> Iterator[bytes]:
    """Items whose one string is 4 MiB of closing braces (at the string limit): the parser probed each brace once."""
    for index in range(count):
        yield (b"" if index == 0 else b", ") + b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%d"}, "spec": "' % index
        yield from _repeat(b"}", 4 * MIB - 1)
        yield b'"}'


HOSTILE = {  # name: (size unit, size, parts of the dump for a size) -- each made at 1x and 2x that size
    "nested objects": ("levels", 100_000, lambda n: [b'{"apiVersion": "v1", "kind": "List", "items": [',
                                                      b'{"a":' * n, b"1", b"}" * n, b"]}"]),
    "whitespace inside a pod": ("MiB", 1024, lambda n: [_HEAD + b'"spec":', _repeat(b" ", n * MIB), b"{}}]}"]),
    "one long string": ("MiB", 100, lambda n: [_HEAD + b'"spec": "', _repeat(b"x", n * MIB), b'"}]}']),
    "one large item": ("MiB", 100, lambda n: [_HEAD + b'"spec": {', _repeat(b'"k": 1, ', n * MIB), b'"z": 1}}]}']),
    "one large single object": ("MiB", 100, lambda n: [b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, '
                                                       b'"spec": [', _repeat(b'"' + b"y" * 62 + b'", ', n * MIB),
                                                       b'"z"]}']),
    "strings of braces (4 MiB each)": ("items", 25, lambda n: [b'{"apiVersion": "v1", "kind": "List", "items": [',
                                                               _braces_items(n), b"]}"]),
}


QUICK_HOSTILE = {"whitespace inside a pod": 64, "one long string": 8, "one large item": 20,
                 "one large single object": 20, "strings of braces (4 MiB each)": 2}  # (--quick: 1x only, smaller)


def write_hostile(directory: str, name: str, amount: int) -> dict:
    """One hostile dump, gzipped as the bastion would, streamed to disk; its sizes."""
    unit, _, parts = HOSTILE[name]
    path = os.path.join(directory, f"hostile-{name.split()[0]}-{amount}.json.gz")
    size = 0
    with gzip.open(path, "wb", compresslevel=6) as packed:
        for part in parts(amount):
            for chunk in ([part] if isinstance(part, bytes) else part):
                packed.write(chunk)
                size += len(chunk)
    return {"label": f"{name}, {amount:,} {unit}", "gz_path": path, "bytes": size, "gz_bytes": os.path.getsize(path)}


# ==================================================================================================
# measuring one stage (in a child process: `--measure STAGE PATH`)
# ==================================================================================================

SOURCE_ARGS = {"cluster": "bench", "account_id": "123456789012", "region": "eu-west-1"}
WARM_UP = json.dumps({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "warm-up", "namespace": "default", "labels": {"app": "w"},
                                                   "creationTimestamp": "2026-11-24T00:00:00Z"},
     "spec": {"containers": [{"name": "w", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
     "status": {"phase": "Running", "startTime": "2026-11-24T00:00:00Z"}}]}).encode()


def measure(stage: str, path: str) -> dict:
    """Runs one stage over one file in this (fresh) process; what it counted, its times and memory."""
    import psutil

    if stage in ("iter_objects", "iter_rows", "pipeline", "write_dump"):
        from datetime import date, datetime, timezone

        import pyarrow as pa

        from cloud_inventory.k8s import parser
        from cloud_inventory.k8s.kinds import SCHEMAS
        source = {**SOURCE_ARGS, "dump_at": datetime(2026, 11, 25, tzinfo=timezone.utc), "snapshot_date": date(2026, 11, 25)}
        # one tiny dump through the whole path before the clock: lazy imports (pyarrow's pandas shim, compiled
        # without a bytecode cache when PYTHONDONTWRITEBYTECODE is set) are start-up, not parsing
        for table, rows in parser.iter_batches(io.BytesIO(WARM_UP), **source):
            pa.Table.from_pylist(rows, schema=SCHEMAS[table])
        if stage == "write_dump":
            from cloud_inventory.accounts import Cluster
            from cloud_inventory.k8s.dropbox import DumpTime
            from cloud_inventory.lake import Lake
            from cloud_inventory.pipeline.k8s_inventory import write_dump
            cluster = Cluster(SOURCE_ARGS["cluster"], SOURCE_ARGS["account_id"], SOURCE_ARGS["region"])
            when = DumpTime("20261125T000000Z", source["dump_at"])
            lake_dir = tempfile.mkdtemp(prefix="bench-k8s-lake-")
            write_dump(Lake(os.path.join(lake_dir, "warm-up")), io.BytesIO(WARM_UP), cluster, when)
    elif stage == "ijson.items":
        import ijson
        list(ijson.items(io.BytesIO(WARM_UP), "items.item", use_float=True))
    rss_start = psutil.Process().memory_info().rss / MIB
    counts: Counter = Counter()
    extra: dict = {}
    wall, cpu = time.perf_counter(), time.process_time()
    if stage == "gunzip":
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(1 << 16):
                counts["bytes"] += len(chunk)
    elif stage == "json.load":
        with gzip.open(path, "rb") as handle:
            document = json.load(handle)
        for item in document["items"]:
            counts[item["kind"]] += 1
        extra["rss_holding_mb"] = psutil.Process().memory_info().rss / MIB
        del document
    elif stage == "ijson.items":
        with gzip.open(path, "rb") as handle:
            for item in ijson.items(handle, "items.item", use_float=True):
                counts[item["kind"]] += 1
    elif stage == "iter_objects":
        with open(path, "rb") as handle:
            for item in parser.iter_objects(handle):
                counts[item["kind"]] += 1
    elif stage == "iter_rows":
        with open(path, "rb") as handle:
            for table, _row in parser.iter_rows(handle, **source):
                counts[table] += 1
    elif stage == "pipeline":
        restarts = 0
        with open(path, "rb") as handle:
            for table, rows in parser.iter_batches(handle, **source):
                arrow = pa.Table.from_pylist(rows, schema=SCHEMAS[table])
                counts[table] += arrow.num_rows
                if table == "pod":
                    restarts += sum(v for v in arrow.column("restart_count").to_pylist() if v)
        extra["pod_restarts"] = restarts
    elif stage == "write_dump":  # the DAG's own step: iter_batches into one Parquet file per kind (lake.parquet_sink)
        try:
            with open(path, "rb") as handle:
                counts.update(write_dump(Lake(os.path.join(lake_dir, "lake")), handle, cluster, when))
        except parser.DumpError as refused:  # a hostile dump: what matters is how far it got, and at what cost
            extra["refused"] = refused.reason
        else:
            extra["parquet_mb"] = sum(f.stat().st_size for f in Path(lake_dir, "lake").rglob("*.parquet")) / MB
        finally:
            shutil.rmtree(lake_dir, ignore_errors=True)
    else:
        raise SystemExit(f"unknown stage {stage}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = peak_rss_mb()
    return {"stage": stage, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak, "rss_start_mb": rss_start,
            "counts": dict(counts), **extra}


def peak_rss_mb() -> float:
    """This process's peak RSS in MiB: VmHWM, which starts afresh at exec (ru_maxrss on Linux keeps the maximum of
    the process image before exec, i.e. the parent's RSS at fork)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, bytes on macOS


def run_stage(stage: str, path: str, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": PLUGINS + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")}
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", stage, path],
                            capture_output=True, text=True, env=env, timeout=timeout)
    if result.returncode != 0:
        return {"stage": stage, "error": (result.stderr or result.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(result.stdout.strip().splitlines()[-1])


# ==================================================================================================
# the run and its report
# ==================================================================================================


def best(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    chosen = dict(min(ok, key=lambda r: r["wall_s"]))
    chosen["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    chosen["runs"] = [round(r["wall_s"], 2) for r in ok]
    return chosen


def table(dump: dict, results: dict[str, dict], baseline: str | None) -> None:
    print(f"\n{dump['label']}: {dump['bytes'] / MB:,.1f} MB JSON ({dump['bytes'] / MIB:,.1f} MiB; gzip {dump['gz_bytes'] / MB:,.1f} MB), "
          f"{dump['objects']:,} objects ({dump['pods']:,} pods)")
    print(f"  {'stage':14s} {'wall_s':>8s} {'cpu_s':>7s} {'MB/s':>7s} {'MB/s cpu':>9s} {'peak_rss_mb':>12s} {'start_mb':>9s}"
          + (f" {'vs ' + baseline:>14s}" if baseline else "") + "  runs (wall s)")
    base = results.get(baseline) if baseline else None
    for stage, r in results.items():
        if "error" in r:
            print(f"  {stage:14s} FAILED: {r['error']}")
            continue
        rate, cpu_rate = dump["bytes"] / MB / r["wall_s"], dump["bytes"] / MB / r["cpu_s"]
        ratio = ""
        if base and "error" not in base:
            ratio = f" {base['wall_s'] / r['wall_s']:13.2f}x"
        print(f"  {stage:14s} {r['wall_s']:8.2f} {r['cpu_s']:7.2f} {rate:7.1f} {cpu_rate:9.1f} {r['peak_rss_mb']:12.0f} "
              f"{r['rss_start_mb']:9.0f}{ratio}  {r.get('runs', [round(r['wall_s'], 2)])}")


def check_rows(dump: dict, result: dict) -> bool:
    if "error" in result:
        return False
    got = {t: result["counts"].get(t, 0) for t in dump["expected"]}
    extra = set(result["counts"]) - set(dump["expected"])
    ok = got == dump["expected"] and not extra
    if not ok:
        for t in sorted(set(got) | extra):
            if got.get(t, result["counts"].get(t)) != dump["expected"].get(t):
                print(f"  ROWS {dump['label']} {t}: generated {dump['expected'].get(t, 0):,}, "
                      f"{result['stage']} {result['counts'].get(t, 0):,}")
    return ok


def where_time_goes(dump: dict, results: dict[str, dict]) -> None:
    order = ["gunzip", "ijson.items", "iter_objects", "iter_rows", "pipeline", "write_dump"]
    present = [s for s in order if s in results and "error" not in results[s]]
    parts, previous = [], 0.0
    labels = {"gunzip": "gunzip", "ijson.items": "ijson building objects", "iter_objects": "our parser's checks",
              "iter_rows": "to_row", "pipeline": "from_pylist", "write_dump": "Parquet instead"}
    last = -1
    for s in present:
        cpu, index = results[s]["cpu_s"], order.index(s)
        parts.append(f"{' + '.join(labels[name] for name in order[last + 1:index + 1])} {cpu - previous:+.2f}s")
        previous, last = cpu, index
    print(f"  where the CPU goes ({dump['label']}, cumulative stages): " + ", ".join(parts))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pods", type=int, default=5000, help="pods in the cluster-sized dump (default 5,000)")
    ap.add_argument("--big-mb", type=float, default=500, help="the big dump is at least this many MiB of JSON")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each stage (best kept)")
    ap.add_argument("--keep", metavar="DIR", help="write the dumps here and keep them (default: a temporary folder)")
    ap.add_argument("--no-managed-fields", dest="managed_fields", action="store_false",
                    help="objects without metadata.managedFields, as kubectl >= 1.21 prints by default")
    ap.add_argument("--quick", action="store_true", help="100 pods, a >= 20 MiB big dump, one run each: a smoke test")
    ap.add_argument("--measure", nargs=2, metavar=("STAGE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    if args.quick:
        args.pods, args.big_mb, args.repeat = 100, 20, 1
    print(f"k8s dump parsing: {args.pods:,}-pod cluster and a >= {args.big_mb:g} MiB cluster; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}; stages best of {args.repeat}; managedFields "
          f"{'on' if args.managed_fields else 'off'}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-k8s-") as tmp:
        directory = args.keep or tmp
        os.makedirs(directory, exist_ok=True)
        small = write_dump(directory, f"cluster-{args.pods}-pods", args.pods, managed_fields=args.managed_fields)
        print(f"generated {small['label']}: {small['bytes'] / MB:,.1f} MB ({small['objects']:,} objects) in "
              f"{small['seconds']:.1f}s", flush=True)
        per_pod = small["bytes"] / args.pods
        big_pods = max(args.pods, int(args.big_mb * MIB * 1.03 / per_pod) + 1)
        big = write_dump(directory, f"big-{big_pods}-pods", big_pods, seed=11, managed_fields=args.managed_fields)
        print(f"generated {big['label']}: {big['bytes'] / MB:,.1f} MB ({big['objects']:,} objects) in "
              f"{big['seconds']:.1f}s", flush=True)

        timeout = 3600
        small_runs: dict[str, list[dict]] = {}
        for round_ in range(args.repeat):
            for stage in ("json.load", "gunzip", "ijson.items", "iter_objects", "iter_rows", "pipeline", "write_dump"):
                small_runs.setdefault(stage, []).append(run_stage(stage, small["gz_path"], timeout))
            print(f"  {small['label']}: round {round_ + 1}/{args.repeat} done", flush=True)
        small_res = {stage: best(runs) for stage, runs in small_runs.items()}
        big_runs: dict[str, list[dict]] = {}
        for round_ in range(args.repeat):
            for stage in ("gunzip", "ijson.items", "pipeline", "write_dump"):
                big_runs.setdefault(stage, []).append(run_stage(stage, big["gz_path"], timeout))
            print(f"  {big['label']}: round {round_ + 1}/{args.repeat} done", flush=True)
        big_res = {stage: best(runs) for stage, runs in big_runs.items()}
        hostile = run_hostile(directory, small, args, timeout)

    return max(report(args, small, small_res, big, big_res), report_hostile(hostile, args))


def run_hostile(directory: str, small: dict, args, timeout: float) -> list[dict]:
    """Each hostile shape at two sizes through the DAG's write_dump (default limits), each beside a kubectl-shaped
    dump of the same gzip size; every dump is deleted once measured."""
    print("hostile dumps:", flush=True)
    gz_per_pod = small["gz_bytes"] / small["pods"]
    rows = []
    for name, (_, amount, _) in HOSTILE.items():
        amounts = [QUICK_HOSTILE.get(name, amount)] if args.quick else [amount, 2 * amount]
        for size in amounts:
            dump = write_hostile(directory, name, size)
            dump["result"] = best([run_stage("write_dump", dump["gz_path"], timeout) for _ in range(args.repeat)])
            os.remove(dump["gz_path"])
            if not args.quick:  # (the smoke run checks the refusals only)
                pods = max(1, round(dump["gz_bytes"] / gz_per_pod))
                normal = write_dump(directory, f"normal-{pods}-pods", pods, seed=13, managed_fields=args.managed_fields)
                dump["normal"] = normal
                normal["result"] = best([run_stage("write_dump", normal["gz_path"], timeout)
                                         for _ in range(args.repeat)])
                os.remove(normal["path"]), os.remove(normal["gz_path"])
            rows.append({**dump, "name": name, "amount": size})
            print(f"  {dump['label']}: done", flush=True)
    return rows


def report_hostile(rows: list[dict], args) -> int:
    print("\nhostile dumps through the DAG's write_dump (default limits), each beside a kubectl-shaped dump of the "
          "same gzip size (best of %d; peak RSS of the process, ~125 MiB of it the interpreter and pyarrow):" % args.repeat)
    print(f"  {'shape':42s} {'gzip MB':>8s} {'JSON MB':>9s} {'wall_s':>7s} {'cpu_s':>6s} {'peak MiB':>9s}   "
          f"{'normal: JSON MB':>15s} {'wall_s':>7s} {'peak MiB':>9s}   outcome")
    targets, by_name = [], {}
    for row in rows:
        r = row["result"]
        normal = row.get("normal")
        n = normal["result"] if normal else {"wall_s": float("nan"), "peak_rss_mb": float("nan")}
        if "error" in r or "error" in n:
            targets.append((f"{row['label']} ran", False, r.get("error") or n.get("error")))
            continue
        refused = r.get("refused")
        outcome = (f"refused: {refused.split(' (INVENTORY')[0].removeprefix('over the limit of ')} "
                   f"at byte {refused.split('at byte ')[1].split(' ')[0]}" if refused else
                   f"read: {sum(r['counts'].values()):,} rows")
        print(f"  {row['label']:42s} {row['gz_bytes'] / MB:8.2f} {row['bytes'] / MB:9.1f} {r['wall_s']:7.2f} "
              f"{r['cpu_s']:6.2f} {r['peak_rss_mb']:9.0f}   {(normal['bytes'] if normal else float('nan')) / MB:15.1f} {n['wall_s']:7.2f} "
              f"{n['peak_rss_mb']:9.0f}   {outcome}")
        expect_refusal = not row["name"].startswith("strings of braces")
        targets.append((f"{row['label']}: {'refused' if expect_refusal else 'read whole'}, peak RSS < {TARGET_RSS_MB} MiB",
                        bool(refused) == expect_refusal and r["peak_rss_mb"] < TARGET_RSS_MB,
                        f"{'refused' if refused else 'read'}, {r['peak_rss_mb']:.0f} MiB"))
        by_name.setdefault(row["name"], []).append(row)
    for name, sizes in by_name.items():
        if len(sizes) == 2:  # twice the input may cost at most about twice the time (0.2 s floor: timer noise)
            one, two = (max(s["result"]["cpu_s"], 0.2) for s in sizes)
            targets.append((f"{name}: 2x the input, at most 2.5x the CPU time", two <= 2.5 * one,
                            f"{sizes[0]['result']['cpu_s']:.2f} -> {sizes[1]['result']['cpu_s']:.2f} s"))
    print("\nhostile targets:")
    for label, met, value in targets:
        print(f"  [{'MET' if met else 'MISSED'}] {label}: {value}")
    if not all(met for _, met, _ in targets):
        return 2 if args.quick else 1
    return 0


def report(args, small, small_res, big, big_res) -> int:
    status = 0
    table(small, small_res, "json.load")
    where_time_goes(small, small_res)
    table(big, big_res, "ijson.items")
    where_time_goes(big, big_res)
    loaded = small_res.get("json.load", {})
    if "rss_holding_mb" in loaded:
        print(f"  (json.load held the {small['bytes'] / MB:.0f} MB document as {loaded['rss_holding_mb']:.0f} MiB of Python "
              f"objects; not run on the big dump)")

    pipe_s, pipe_b = small_res["pipeline"], big_res["pipeline"]
    dag_s, dag_b = small_res["write_dump"], big_res["write_dump"]
    rows_ok = all([check_rows(small, pipe_s), check_rows(big, pipe_b), check_rows(small, dag_s), check_rows(big, dag_b)])
    failed = [f"{d}:{s}" for d, res in (("small", small_res), ("big", big_res)) for s, r in res.items() if "error" in r]
    if not rows_ok or failed:
        status = 2
    print(f"\nrows per table ({small['label']}): "
          + ", ".join(f"{t} {n:,}" for t, n in small["expected"].items() if n))

    def rate(dump, r):
        return dump["bytes"] / MB / r["wall_s"] if "error" not in r else 0.0

    def rss(r):
        return r.get("peak_rss_mb", float("inf"))

    base = small_res.get("json.load", {})
    if "error" not in base and "error" not in pipe_s:
        print(f"pipeline vs json.load on {small['label']}: {base['wall_s'] / pipe_s['wall_s']:.2f}x the speed, "
              f"{rss(pipe_s) / rss(base):.2f}x the peak RSS")
    for dump, res in ((small, small_res), (big, big_res)):
        raw, pipe = res.get("ijson.items", {}), res["pipeline"]
        if raw and "error" not in raw and "error" not in pipe:
            print(f"pipeline vs raw ijson.items on {dump['label']}: {raw['wall_s'] / pipe['wall_s']:.2f}x the speed "
                  f"(our checks, rows and Arrow cost {pipe['cpu_s'] / raw['cpu_s']:.2f}x raw ijson's CPU)")

    targets = [
        (f"pipeline >= {TARGET_MB_S:g} MB/s, {small['label']}", rate(small, pipe_s) >= TARGET_MB_S,
         f"{rate(small, pipe_s):.1f} MB/s (CPU-time rate {small['bytes'] / MB / pipe_s.get('cpu_s', float('inf')):.1f})"),
        (f"pipeline >= {TARGET_MB_S:g} MB/s, {big['label']}", rate(big, pipe_b) >= TARGET_MB_S,
         f"{rate(big, pipe_b):.1f} MB/s (CPU-time rate {big['bytes'] / MB / pipe_b.get('cpu_s', float('inf')):.1f})"),
        (f"big dump >= {args.big_mb:g} MiB", big["bytes"] >= args.big_mb * MIB, f"{big['bytes'] / MIB:,.1f} MiB"),
        (f"peak RSS < {TARGET_RSS_MB} MiB, {big['label']}", rss(pipe_b) < TARGET_RSS_MB, f"{rss(pipe_b):.0f} MiB"),
        (f"peak RSS < {TARGET_RSS_MB} MiB, {small['label']}", rss(pipe_s) < TARGET_RSS_MB, f"{rss(pipe_s):.0f} MiB"),
        (f"the DAG's write_dump >= {TARGET_MB_S:g} MB/s, {big['label']}", rate(big, dag_b) >= TARGET_MB_S,
         f"{rate(big, dag_b):.1f} MB/s (CPU-time rate {big['bytes'] / MB / dag_b.get('cpu_s', float('inf')):.1f})"),
        (f"the DAG's write_dump peak RSS < {TARGET_RSS_MB} MiB, {big['label']}", rss(dag_b) < TARGET_RSS_MB,
         f"{rss(dag_b):.0f} MiB (Parquet {dag_b.get('parquet_mb', 0):.0f} MB)"),
        ("row counts per table equal the objects generated per kind", rows_ok, "yes" if rows_ok else "NO"),
    ]
    if failed:
        targets.append(("every stage ran", False, ", ".join(failed)))
    print("\ntargets:")
    for label, met, value in targets:
        print(f"  [{'MET' if met else 'MISSED'}] {label}: {value}")
    if args.quick:
        print("  (--quick: a smoke test; the dumps are too small for the targets, so only lost rows or a failure fail it)")
    elif status == 0 and not all(met for _, met, _ in targets):
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
