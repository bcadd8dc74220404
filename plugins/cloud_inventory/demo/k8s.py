"""The demo's two Kubernetes clusters, dumped and uploaded through the real bastion script.

For each demo day, ``upload_dumps`` builds what ``kubectl get <14 kinds> --all-namespaces -o json``
would print on ``prod-eks`` (account 111111111111, us-east-1) and ``stg-eks`` (222222222222,
us-east-1), and runs the real ``include/bastion/k8s-dump.sh`` under ``sh`` for each dump, with the
venv's real AWS CLI against the emulator. Two things are stand-ins, both small shell scripts first
on the script's ``PATH``:

* ``kubectl`` prints the dump built here (it refuses any arguments but the script's own
  ``get <kinds> --all-namespaces -o json ...``). No API server is involved.
* ``date`` prints the demo dump's instant instead of the wall clock. The demo replays past days, and
  the script takes its partition date and file name from ``date -u``; the stand-in execs the real
  ``date`` with that fixed instant (``-d @<epoch>``, or BSD ``-r <epoch>``), so the format the script
  asks for is honoured as is. Same trick as the stand-in kubectl; the script itself is unchanged.

Everything tying the clusters to AWS is looked up in the emulator (``look_up``), never invented: node
``spec.providerID`` (``aws:///<az>/<instance id>``), names (``ip-….ec2.internal``), addresses,
instance types and AMI are those of the demo's EC2 instances in the cluster's account and region; pod
IPs come from the node's subnet and avoid every address an ENI there holds; the Ingress and the
LoadBalancer Service carry the DNS names of the demo's load balancers, and every Ingress host is a
Route 53 record of the demo (checked: a mismatch raises). moto's EKS node groups launch no
instances, so each cluster's nodes are named demo instances in the cluster's subnets:

=============  =========================================================================
prod-eks       ``prod-app-1`` (us-east-1a), ``prod-app-2`` (us-east-1b), and from day 2 on
               ``prod-worker-1`` (us-east-1b, launched by the estate's day 2); node group
               ``prod-general``
stg-eks        ``stg-app-1`` (us-east-1a) and ``stg-perf-runner`` (us-east-1b, *stopped* in
               EC2 since the estate was seeded, backdated 35 days), node group ``stg-general``
=============  =========================================================================

Names of the AWS things the dumps point at: Ingress ``shop/web`` on prod has hosts
``www.shop.example.com`` and ``shop.example.com`` (Route 53 aliases of ALB ``prod-web-alb``, whose
DNS name is the Ingress' load-balancer hostname); Service ``shop/api`` (type LoadBalancer) has NLB
``prod-api-nlb``'s DNS name (Route 53 ``api.shop.example.com`` is a CNAME to it). On staging, Ingress
``shop/web`` has host ``www.staging.shop.example.com`` and ALB ``stg-web-alb``'s DNS name.
PersistentVolumes name EBS volumes (``vol-…``) that the demo estate does not hold (moto has no EBS CSI).

The planted problems (exactly these, nothing else is unhealthy; "latest" = the day's last dump)
----------------------------------------------------------------------------------------------
prod-eks, day index 0:

1. Pod ``shop/checkout-<hash>-<id>``: phase Running, container ``checkout`` waiting
   ``CrashLoopBackOff``, ``lastState.terminated.reason`` ``OOMKilled`` (exit 137), restartCount
   ~11 per hour since it started 2 h before the day's first dump (21 at the first dump, 24 at the
   second), on node ``prod-app-1``.
2. Pod ``shop/web-<new hash>-<id>``: phase Pending (scheduled, ``PodScheduled`` True) with container
   waiting ``ImagePullBackOff`` (tag ``2.4.1-rc1`` does not exist); created 35 min before the day's
   first dump (so < 1 h old in both dumps): a stuck rollout. Deployment ``shop/web`` still has 3 of 3
   ready (the old ReplicaSet serves), so it is *not* short.
3. Pod ``shop/worker-<hash>-<id>``: phase Failed, reason ``Evicted`` (ephemeral storage on the
   DiskPressure node), its container terminated ``ContainerStatusUnknown`` (exit 137), no pod IP;
   its ReplicaSet replaced it.
4. Pod ``data/nightly-report-<n>-<id>`` (Job of CronJob ``data/nightly-report``): phase Pending,
   ``PodScheduled`` False reason ``Unschedulable`` (asks 12Gi; the m5.large node has too little
   memory, the other node has the disk-pressure taint), created by the 03:00 UTC schedule, i.e. at
   least 2 h 45 min before the day's first dump.
5. PersistentVolumeClaim ``data/scratch-export``: phase Pending (StorageClass ``io2-fast`` missing).
6. Node ``prod-app-1``: ``DiskPressure`` True (with the ``node.kubernetes.io/disk-pressure`` taint);
   still Ready. Every other condition of prod's nodes is healthy.
7. Deployment ``shop/checkout``: 2 desired, 1 ready (the crash-looping pod). The only workload short.

Warning events (within the hour, as real events expire after one): BackOff (1), Failed + BackOff
(2), Evicted (3), FailedScheduling (4), ProvisioningFailed (5), EvictionThresholdMet (6).

prod-eks, day index 1 (the estate resized ``prod-app-2`` to m5.xlarge):

* gone: 1 (checkout rolled out with a 512Mi limit: 2 of 2 ready), 2 (web rolled out ``2.4.1``,
  and scaled 3 -> 4), 4 (the report pod fitted on the resized node, its Job completed), 6 (image
  garbage collection freed the disk), 7.
* stays: 3 (evicted pods linger until deleted; its event has expired), 5.
* new: Pod ``shop/worker-<hash>-<id>`` (the one that replaced the evicted pod on day 0) waiting
  ``CrashLoopBackOff``, last termination ``Error`` (exit 1), crash-looping since 90 min before the
  day's first dump, on node ``prod-app-2``; Deployment ``shop/worker`` 2 desired, 1 ready.
* so the unhealthy list is: the evicted pod, the crash-looping worker pod, the pending claim,
  deployment ``shop/worker``. Warning events: BackOff (the worker pod), ProvisioningFailed.

prod-eks, day index 2: as day 1 (the worker pod still crash-looping, restarts growing), plus node
``prod-worker-1`` joined (healthy; the estate's day-2 instance) and ``shop/checkout`` scaled 2 -> 3
with the new pod on it; new: bare Pod ``data/debug-shell`` (no owner) waiting ``ImagePullBackOff`` (tag
``latets`` does not exist), created 25 min before the day's first dump, on node ``prod-app-1``.

stg-eks, day index 0:

1. Node ``stg-perf-runner``: ``Ready`` Unknown (``NodeStatusUnknown``: "Kubelet stopped posting
   node status."; the instance is stopped), all its conditions Unknown, tainted
   ``node.kubernetes.io/unreachable`` and ``node.cloudprovider.kubernetes.io/shutdown``. The parser's
   ``ready``/``*_pressure`` columns are null for Unknown: count ``ready is not true`` as not ready.
   Its two DaemonSet pods (``aws-node``, ``kube-proxy``) stay phase Running with condition Ready
   False (their container statuses still say ready, as the kubelet last reported them); the
   DaemonSets say 1 desired, 1 ready, 1 misscheduled (not short). No events about it: the node went
   down weeks ago. Nothing else on stg-eks is unhealthy that day.

stg-eks, day index 1: the dead node was deleted from the cluster (its pods with it). New: a rollout
of ``shop/checkout`` to ``1.10.0-rc1`` whose new pod is waiting ``CrashLoopBackOff`` (last
termination ``Error``, exit 1, started 50 min before the day's first dump); the old pod still
serves, so deployment ``shop/checkout`` has 1 of 1 ready (not short). Unhealthy: that one pod
(Warning event BackOff).
stg-eks, day index 2: as day 1 (restarts growing). The demo means stg-eks to go silent on the last day.

ReplicaSets mirror their Deployments (``checkout-<hash>`` 1 of 2 ready on prod day 0, the new
``web-<hash>`` 0 of 1, ``worker-<hash>`` 1 of 2 on prod days 1-2, the new ``checkout-<hash>`` 0 of 1
on stg days 1-2); count short workloads on Deployments, StatefulSets and DaemonSets only.
Completed Job pods are phase Succeeded (healthy).

Seeded secrets (``seeded_secrets``; the same every day, so they change nothing)
-----------------------------------------------------------------------------
``shop/checkout`` on both clusters: its container's env ``DB_PASSWORD`` (and a ``secretKeyRef``, which
stays), its init container ``migrate``'s env ``MIGRATION_TOKEN`` (in the Deployment, ReplicaSets and pods),
and the Deployment's ``kubectl.kubernetes.io/last-applied-configuration`` annotation holding them and one
more env value. Service ``shop/api`` on prod-eks: annotations with an access key id, a ``password=`` pair,
a password in a URL and a private key.

Times
-----
By default each cluster dumps twice a day, 15 minutes apart (the clusters' dump interval): at
05:45:00 and 06:00:00 UTC on past days, and for today (the demo's last day) at one minute and
sixteen minutes before now, so today's dumps are fresh, never in the future. Ages above are relative
to the day's first dump; the second dump shows the same objects with counters (restarts, event
counts) advanced, so "the latest dump" is visible.

What run.py calls
-----------------
After ``changes = estate.seed(emulator.url, index)`` for each demo day (index 0, 1, 2 and
``day`` its date)::

    from cloud_inventory.demo import k8s as demo_k8s
    keys = demo_k8s.upload_dumps(emulator.url, day, index, dumps_uri=settings.dumps_uri,
                                 clusters=demo_k8s.clusters_for_day(index))

``clusters_for_day(2)`` leaves out ``stg-eks`` (its bastion goes silent on the last day); pass
``clusters=None`` for all clusters every day. The bucket is created if missing, with the emulator's
plain default credentials (moto's default account), not a demo account's. The returned keys are
relative to the bucket, e.g. ``dumps/cluster=prod-eks/dt=2026-11-19/20261119T054500Z.json.gz``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import boto3
from botocore.exceptions import ClientError

from cloud_inventory.demo import estate, seeded_secrets

UTC = dt.timezone.utc
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# shop/checkout's env and its migrations' init container (seeded secrets: redacted by the inventory)
CHECKOUT_ENV = tuple(seeded_secrets.CONTAINER_ENV.items())
CHECKOUT_INIT_ENV = tuple(seeded_secrets.INIT_CONTAINER_ENV.items())
PROJECT_ROOT = Path(__file__).resolve().parents[3]
BASTION_SCRIPT = PROJECT_ROOT / "include" / "bastion" / "k8s-dump.sh"
KINDS = ("pods", "services", "ingresses", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs",
         "cronjobs", "nodes", "persistentvolumeclaims", "persistentvolumes", "namespaces", "events")
_KIND_ORDER = ("Pod", "Service", "Ingress", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
               "Node", "PersistentVolumeClaim", "PersistentVolume", "Namespace", "Event")
DEFAULT_TIMES = ("05:45:00", "06:00:00")
DUMP_INTERVAL = dt.timedelta(minutes=15)
SILENT_ON_LAST_DAY = "stg-eks"
K8S_VERSION = "v1.30.6-eks-7f9249a"
ECR_EKS = "602401143452.dkr.ecr.us-east-1.amazonaws.com"


@dataclass(frozen=True)
class DemoCluster:
    name: str
    account_id: str
    region: str
    nodegroup: str
    nodes: tuple[tuple[str, str], ...]  # (role in the scenario, EC2 Name tag)
    load_balancers: tuple[str, ...]
    ingress_hosts: tuple[str, ...]


CLUSTERS: dict[str, DemoCluster] = {
    "prod-eks": DemoCluster("prod-eks", estate.PROD, estate.US, "prod-general",
                            (("a", "prod-app-1"), ("b", "prod-app-2"), ("c", "prod-worker-1")),
                            ("prod-web-alb", "prod-api-nlb"), ("www.shop.example.com", "shop.example.com")),
    "stg-eks": DemoCluster("stg-eks", estate.STAGING, estate.US, "stg-general",
                           (("a", "stg-app-1"), ("x", "stg-perf-runner")),
                           ("stg-web-alb",), ("www.staging.shop.example.com",)),
}


def clusters_for_day(day_index: int, days: int = 3) -> list[str]:
    """The clusters whose bastions dump on that demo day: all, but stg-eks goes silent on the last day."""
    return [name for name in CLUSTERS if not (day_index == days - 1 and name == SILENT_ON_LAST_DAY)]


# --------------------------------------------------------------------------------------------------
# what the emulator holds


@dataclass(frozen=True)
class NodeInstance:
    role: str
    name: str  # the EC2 Name tag
    instance_id: str
    private_ip: str
    private_dns: str
    zone: str
    instance_type: str
    image_id: str
    state: str
    subnet_cidr: str
    stopped_at: dt.datetime | None


@dataclass(frozen=True)
class AwsView:
    """What a cluster's dump refers to in AWS, read from the emulator."""

    cluster: DemoCluster
    instances: dict[str, NodeInstance]  # by role; live (not terminated) instances only
    load_balancers: dict[str, str]  # name -> DNS name
    record_names: frozenset[str]  # Route 53 record names in the account, without the final dot
    used_ips: frozenset[str]  # private addresses held by ENIs in the nodes' subnets


_STOPPED = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) GMT\)")


def look_up(endpoint_url: str, cluster: str) -> AwsView:
    """The cluster's node instances, load balancers, Route 53 names and taken addresses, from the emulator."""
    spec = CLUSTERS[cluster]
    session = estate.assumed_session(endpoint_url, spec.account_id, spec.region)
    client = lambda service: session.client(service, endpoint_url=endpoint_url, region_name=spec.region)  # noqa: E731
    ec2 = client("ec2")
    names = {name: role for role, name in spec.nodes}
    found = [i for page in ec2.get_paginator("describe_instances").paginate(Filters=[
        {"Name": "tag:Name", "Values": list(names)},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
        for r in page["Reservations"] for i in r["Instances"]]
    subnet_ids = sorted({i["SubnetId"] for i in found})
    cidrs = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]} \
        if subnet_ids else {}
    used = set()
    if subnet_ids:
        for page in ec2.get_paginator("describe_network_interfaces").paginate(
                Filters=[{"Name": "subnet-id", "Values": subnet_ids}]):
            for eni in page["NetworkInterfaces"]:
                used.update(a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []))
    instances: dict[str, NodeInstance] = {}
    for inst in found:
        name = next(t["Value"] for t in inst.get("Tags", []) if t["Key"] == "Name")
        used.add(inst["PrivateIpAddress"])
        match = _STOPPED.search(inst.get("StateTransitionReason") or "")
        stopped_at = (dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                      if match and inst["State"]["Name"] in ("stopping", "stopped") else None)
        if names[name] in instances:
            raise RuntimeError(f"two live instances named {name!r} in {spec.account_id}/{spec.region}")
        instances[names[name]] = NodeInstance(
            role=names[name], name=name, instance_id=inst["InstanceId"], private_ip=inst["PrivateIpAddress"],
            private_dns=inst.get("PrivateDnsName") or f"ip-{inst['PrivateIpAddress'].replace('.', '-')}.ec2.internal",
            zone=inst["Placement"]["AvailabilityZone"], instance_type=inst["InstanceType"], image_id=inst["ImageId"],
            state=inst["State"]["Name"], subnet_cidr=cidrs[inst["SubnetId"]], stopped_at=stopped_at)
    lbs = {lb["LoadBalancerName"]: lb["DNSName"]
           for lb in client("elbv2").describe_load_balancers(Names=list(spec.load_balancers))["LoadBalancers"]}
    route53 = client("route53")
    records = set()
    for zone in route53.list_hosted_zones()["HostedZones"]:
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["Id"]):
            records.update(r["Name"].rstrip(".") for r in page["ResourceRecordSets"])
    missing = [host for host in spec.ingress_hosts if host not in records]
    if missing:
        raise RuntimeError(f"{cluster}: ingress hosts {missing} are not Route 53 records of account {spec.account_id}")
    return AwsView(spec, instances, lbs, frozenset(records), frozenset(used))


# --------------------------------------------------------------------------------------------------
# building one dump

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated name suffixes


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()


def _token(n: int, *parts: object) -> str:
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in _digest(*parts)[:n])


def _hex(n: int, *parts: object) -> str:
    return (_digest(*parts) + _digest("more", *parts)).hex()[:n]


def _ts(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class App:
    """A pod template: one container."""

    ns: str
    name: str
    image: str
    cpu: str = "100m"
    memory: str = "128Mi"
    memory_limit: str | None = "256Mi"
    port: int | None = 8080
    labels: tuple[tuple[str, str], ...] = ()
    host_network: bool = False
    service_account: str = "default"
    priority_class: str | None = None
    command: tuple[str, ...] = ()
    probe_path: str | None = None
    env: tuple[tuple[str, str], ...] = ()  # (name, value) of the container's env, then a secretKeyRef when any
    init_env: tuple[tuple[str, str], ...] = ()  # an init container `migrate` with this env, when any

    @property
    def container(self) -> str:
        return self.name

    def env_list(self) -> list[dict[str, Any]]:
        return [{"name": name, "value": value} for name, value in self.env] + (
            [{"name": "STRIPE_KEY", "valueFrom": {"secretKeyRef": {"key": "api-key", "name": f"{self.name}-stripe"}}}]
            if self.env else [])

    def init_containers(self) -> list[dict[str, Any]]:
        if not self.init_env:
            return []
        return [{"command": ["/app/migrate", "--wait"], "env": [{"name": n, "value": v} for n, v in self.init_env],
                 "image": self.image, "imagePullPolicy": "IfNotPresent", "name": "migrate", "resources": {},
                 "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}]

    def last_applied(self, kind: str) -> str:
        """kubectl apply's annotation: the manifest as applied (an env value changed since, still in it)."""
        env = [{"name": name, "value": value} for name, value in self.env]
        env.append({"name": "LEGACY_DB_PASSWORD", "value": seeded_secrets.APPLIED_ONLY_VALUE})
        manifest = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": self.name, "namespace": self.ns},
                    "spec": {"template": {"spec": {"containers": [{"env": env, "image": self.image,
                                                                   "name": self.container}],
                                                   "initContainers": self.init_containers()}}}}
        return json.dumps(manifest, sort_keys=True, separators=(",", ":"))

    def pod_labels(self) -> dict[str, str]:
        return dict(self.labels) or {"app": self.name}


@dataclass
class Clock:
    """Times of one dump: ``anchor`` is the day's first dump, ``now`` this dump; earlier days at their defaults."""

    day0: dt.date
    index: int
    anchor: dt.datetime
    now: dt.datetime

    def at(self, day_index: int | None = None, **offset: float) -> dt.datetime:
        index = self.index if day_index is None else day_index
        if index == self.index:
            base = self.anchor
        else:
            base = _at(self.day0 + dt.timedelta(days=index), DEFAULT_TIMES[0])
        return base + dt.timedelta(**offset)

    def daily(self, clock_time: str) -> dt.datetime:
        """Today's run of a daily schedule: at ``clock_time``, or as long before the day's first dump as it
        would be at the default times when the first dump is too early for it."""
        day = self.day0 + dt.timedelta(days=self.index)
        when, default_anchor = _at(day, clock_time), _at(day, DEFAULT_TIMES[0])
        return when if when <= self.anchor - dt.timedelta(minutes=10) else self.anchor - (default_anchor - when)

    def every(self, since: dt.datetime, seconds: float, start: int = 1) -> int:
        """How many times something recurring every ``seconds`` since ``since`` happened by now."""
        return start + max(0, int((self.now - since).total_seconds() // seconds))


class Dump:
    """The items of one ``kubectl get ... -o json``, built object by object."""

    def __init__(self, view: AwsView, clock: Clock) -> None:
        self.view = view
        self.cluster = view.cluster
        self.clock = clock
        self.items: list[dict[str, Any]] = []
        self.nodes: dict[str, dict[str, Any]] = {}  # role -> Node object
        self._rv = int(clock.now.timestamp()) // 7 % 90_000_000 + 1_000_000
        self._taken = set(view.used_ips)
        self._pod_ips: dict[tuple[str, str], str] = {}

    # -- identity ------------------------------------------------------------------------------------
    def uid(self, kind: str, ns: str | None, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"k8s://{self.cluster.name}/{kind}/{ns or ''}/{name}"))

    def rv(self) -> str:
        self._rv += 1 + self._rv % 13
        return str(self._rv)

    def meta(self, kind: str, ns: str | None, name: str, created: dt.datetime, *, labels: dict | None = None,
             annotations: dict | None = None, owner: dict | None = None, generate_name: str | None = None,
             generation: int | None = None, finalizers: list[str] | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name, "uid": self.uid(kind, ns, name), "resourceVersion": self.rv(),
                                "creationTimestamp": _ts(created)}
        if ns is not None:
            meta["namespace"] = ns
        if labels:
            meta["labels"] = dict(labels)
        if annotations:
            meta["annotations"] = dict(annotations)
        if owner is not None:
            meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                        "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                        "controller": True, "blockOwnerDeletion": True}]
        if generate_name:
            meta["generateName"] = generate_name
        if generation is not None:
            meta["generation"] = generation
        if finalizers:
            meta["finalizers"] = finalizers
        return meta

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.items.append(obj)
        return obj

    def document(self) -> dict[str, Any]:
        order = {kind: n for n, kind in enumerate(_KIND_ORDER)}
        items = sorted(self.items, key=lambda o: (order[o["kind"]], o["metadata"].get("namespace") or "",
                                                  o["metadata"]["name"]))
        return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}

    # -- addresses -----------------------------------------------------------------------------------
    def pod_ip(self, node_role: str, ns: str, name: str) -> str:
        """A free address of the node's subnet (the VPC CNI gives pods VPC addresses), stable per pod name."""
        key = (ns, name)
        if key in self._pod_ips:
            return self._pod_ips[key]
        network = ipaddress.ip_network(self.view.instances[node_role].subnet_cidr)
        first, size = int(network.network_address) + 16, network.num_addresses - 32
        start = int.from_bytes(_digest("pod-ip", self.cluster.name, ns, name)[:4], "big") % size
        for step in range(size):
            ip = str(ipaddress.ip_address(first + (start + step) % size))
            if ip not in self._taken:
                self._taken.add(ip)
                self._pod_ips[key] = ip
                return ip
        raise RuntimeError(f"subnet {network} has no free address for pod {ns}/{name}")

    def cluster_ip(self, ns: str, name: str) -> str:
        value = int.from_bytes(_digest("svc", ns, name)[:2], "big")
        return f"172.20.{value >> 8 or 1}.{(value & 0xFF) or 1}"

    # -- namespaces and nodes ------------------------------------------------------------------------
    def namespace(self, name: str, created: dt.datetime) -> None:
        self.add({"apiVersion": "v1", "kind": "Namespace",
                  "metadata": self.meta("Namespace", None, name, created,
                                        labels={"kubernetes.io/metadata.name": name}),
                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})

    def node(self, role: str, created: dt.datetime, *, ready_since: dt.datetime, disk_pressure_since=None,
             unreachable_since=None, boot: int = 0, heartbeat: dt.datetime | None = None) -> dict[str, Any] | None:
        inst = self.view.instances.get(role)
        if inst is None:
            return None
        cpu, memory_ki, pods = _CAPACITY.get(inst.instance_type, (2, 7_935_404, 29))
        heartbeat = heartbeat or self.clock.now - dt.timedelta(seconds=37)
        name = inst.private_dns
        region, zone = self.cluster.region, inst.zone

        def condition(kind: str, ok_reason: str, ok_message: str, bad_reason: str = "", bad_message: str = "",
                      bad_since: dt.datetime | None = None, ok_status: str = "False") -> dict[str, Any]:
            if unreachable_since is not None:
                return {"type": kind, "status": "Unknown", "reason": "NodeStatusUnknown",
                        "message": "Kubelet stopped posting node status.", "lastHeartbeatTime": _ts(heartbeat),
                        "lastTransitionTime": _ts(unreachable_since + dt.timedelta(seconds=41))}
            bad = bad_since is not None
            status = ("True" if ok_status == "False" else "False") if bad else ok_status
            return {"type": kind, "status": status, "reason": bad_reason if bad else ok_reason,
                    "message": bad_message if bad else ok_message, "lastHeartbeatTime": _ts(heartbeat),
                    "lastTransitionTime": _ts(bad_since if bad else created + dt.timedelta(seconds=20))}

        conditions = [
            condition("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure",
                      "KubeletHasDiskPressure", "kubelet has disk pressure", disk_pressure_since),
            condition("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", "KubeletReady", "kubelet is posting ready status", ok_status="True"),
        ]
        if unreachable_since is None:
            conditions[-1]["lastTransitionTime"] = _ts(ready_since)
        taints = []
        if disk_pressure_since is not None:
            taints.append({"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule",
                           "timeAdded": _ts(disk_pressure_since)})
        if unreachable_since is not None:
            taints += [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule",
                        "timeAdded": _ts(unreachable_since + dt.timedelta(seconds=41))},
                       {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                        "timeAdded": _ts(unreachable_since + dt.timedelta(seconds=46))},
                       {"key": "node.cloudprovider.kubernetes.io/shutdown", "effect": "NoSchedule"}]
        alloc_cpu = {2: "1930m", 4: "3920m", 8: "7910m"}.get(cpu, f"{cpu * 1000 - 90}m")
        alloc_memory = memory_ki - (255 + 11 * pods + 100) * 1024
        labels = {
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": inst.instance_type,
            "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup": self.cluster.nodegroup, "eks.amazonaws.com/nodegroup-image": inst.image_id,
            "failure-domain.beta.kubernetes.io/region": region, "failure-domain.beta.kubernetes.io/zone": zone,
            "k8s.io/cloud-provider-aws": _hex(32, "cloud-provider", self.cluster.name),
            "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": inst.instance_type, "topology.ebs.csi.aws.com/zone": zone,
            "topology.k8s.aws/zone-id": f"use1-az{ord(zone[-1]) - ord('a') + 1}",
            "topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": zone,
        }
        spec: dict[str, Any] = {"providerID": f"aws:///{zone}/{inst.instance_id}"}
        if taints:
            spec["taints"] = taints
        obj = self.add({
            "apiVersion": "v1", "kind": "Node",
            "metadata": self.meta("Node", None, name, created, labels=labels, annotations={
                "alpha.kubernetes.io/provided-node-ip": inst.private_ip,
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true"}),
            "spec": spec,
            "status": {
                "addresses": [{"address": inst.private_ip, "type": "InternalIP"},
                              {"address": name, "type": "InternalDNS"}, {"address": name, "type": "Hostname"}],
                "allocatable": {"cpu": alloc_cpu, "ephemeral-storage": "95491281146", "hugepages-1Gi": "0",
                                "hugepages-2Mi": "0", "memory": f"{alloc_memory}Ki", "pods": str(pods)},
                "capacity": {"cpu": str(cpu), "ephemeral-storage": "104845292Ki", "hugepages-1Gi": "0",
                             "hugepages-2Mi": "0", "memory": f"{memory_ki}Ki", "pods": str(pods)},
                "conditions": conditions,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{inst.instance_id}/{boot}")),
                    "containerRuntimeVersion": "containerd://1.7.22", "kernelVersion": "5.10.226-214.880.amzn2.x86_64",
                    "kubeProxyVersion": K8S_VERSION, "kubeletVersion": K8S_VERSION,
                    "machineID": _hex(32, "machine", inst.instance_id), "operatingSystem": "linux",
                    "osImage": "Amazon Linux 2",
                    "systemUUID": "ec2" + _hex(29, "system", inst.instance_id)},
            },
        })
        self.nodes[role] = obj
        return obj

    def node_name(self, role: str) -> str:
        return self.nodes[role]["metadata"]["name"]

    # -- pods ----------------------------------------------------------------------------------------
    def pod(self, app: App, name: str, owner: dict | None, *, node: str | None, created: dt.datetime,
            state: str = "running", restarts: int = 0, last_start: dt.datetime | None = None,
            last_end: dt.datetime | None = None, exit_code: int = 0, reason: str = "",
            message: str = "", extra_labels: dict | None = None, since: dt.datetime | None = None,
            hostname: str | None = None, claim: str | None = None) -> dict[str, Any]:
        """One pod in ``state``: running, crashloop, imagepull, evicted, unschedulable, succeeded, unreachable."""
        ns = app.ns
        uid = self.uid("Pod", ns, name)
        started = created + dt.timedelta(seconds=2)
        labels = {**app.pod_labels(), **(extra_labels or {})}
        container: dict[str, Any] = {
            "image": app.image, "imagePullPolicy": "IfNotPresent", "name": app.container,
            "resources": _resources(app), "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                              "name": f"kube-api-access-{_token(5, uid)}", "readOnly": True}],
        }
        if app.port:
            container["ports"] = [{"containerPort": app.port, "name": "http" if app.probe_path else "main",
                                   "protocol": "TCP"}]
        if app.command:
            container["command"] = list(app.command)
        if app.env:
            container["env"] = app.env_list()
        if app.probe_path:
            container["readinessProbe"] = {"failureThreshold": 3, "httpGet": {"path": app.probe_path,
                                                                               "port": app.port, "scheme": "HTTP"},
                                           "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1}
        if claim:
            container["volumeMounts"].insert(0, {"mountPath": "/data", "name": "data"})
        spec: dict[str, Any] = {
            "containers": [container], "dnsPolicy": "ClusterFirstWithHostNet" if app.host_network else "ClusterFirst",
            "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
            "priority": 2000001000 if app.priority_class == "system-node-critical" else
            (2000000000 if app.priority_class else 0),
            "restartPolicy": "OnFailure" if owner and owner["kind"] == "Job" else "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "serviceAccount": app.service_account, "serviceAccountName": app.service_account,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "tolerationSeconds": 300},
                            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
                             "tolerationSeconds": 300}],
            "volumes": [{"name": f"kube-api-access-{_token(5, uid)}", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                            "path": "namespace"}]}}]}}],
        }
        if claim:
            spec["volumes"].insert(0, {"name": "data", "persistentVolumeClaim": {"claimName": claim}})
        if app.init_env:
            spec["initContainers"] = app.init_containers()
        if hostname:
            spec["hostname"], spec["subdomain"] = hostname, app.name
        if app.host_network:
            spec["hostNetwork"] = True
            container["ports"] = [{**p, "hostPort": p["containerPort"]} for p in container.get("ports", [])]
            spec["tolerations"] = [{"operator": "Exists"}]
        if app.priority_class:
            spec["priorityClassName"] = app.priority_class
        if node is not None:
            spec["nodeName"] = self.node_name(node)
        generate = None if hostname else name.rsplit("-", 1)[0] + "-"
        obj = {"apiVersion": "v1", "kind": "Pod",
               "metadata": self.meta("Pod", ns, name, created, labels=labels, owner=owner, generate_name=generate),
               "spec": spec}
        if hostname:
            obj["metadata"]["generateName"] = app.name + "-"

        def cond(kind: str, status: str, when: dt.datetime, reason: str = "", message: str = "") -> dict:
            item = {"lastProbeTime": None, "lastTransitionTime": _ts(when), "status": status, "type": kind}
            if reason:
                item["reason"] = reason
            if message:
                item["message"] = message
            return item

        container_id = "containerd://" + _hex(64, "container", uid, restarts, state)
        image_id = _image_id(app.image)
        host_ip = self.nodes[node]["status"]["addresses"][0]["address"] if node is not None else None
        pod_ip = host_ip if app.host_network else (self.pod_ip(node, ns, name) if node is not None else None)
        status: dict[str, Any] = {"qosClass": _qos(app)}
        not_ready = f"containers with unready status: [{app.container}]"
        if state == "unschedulable":
            status.update(phase="Pending", conditions=[cond("PodScheduled", "False", since or created,
                                                            "Unschedulable", message)])
            obj["status"] = status
            return self.add(obj)
        status.update(hostIP=host_ip, hostIPs=[{"ip": host_ip}], startTime=_ts(started))
        if state == "evicted":
            status.update(phase="Failed", reason="Evicted", message=message, conditions=[
                cond("DisruptionTarget", "True", since, "TerminationByKubelet", message),
                cond("PodReadyToStartContainers", "False", since + dt.timedelta(seconds=3)),
                cond("Initialized", "True", started), cond("Ready", "False", since, "PodFailed"),
                cond("ContainersReady", "False", since, "PodFailed"), cond("PodScheduled", "True", created)],
                containerStatuses=[{"image": app.image, "imageID": image_id, "lastState": {}, "name": app.container,
                                    "ready": False, "restartCount": restarts, "started": False, "state": {
                                        "terminated": {"exitCode": 137, "finishedAt": None,
                                                       "message": "The container could not be located when the pod "
                                                                  "was terminated",
                                                       "reason": "ContainerStatusUnknown", "startedAt": None}}}])
            obj["status"] = status
            return self.add(obj)
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
        running = {"running": {"startedAt": _ts(last_start or started + dt.timedelta(seconds=3))}}
        base = {"containerID": container_id, "image": app.image, "imageID": image_id, "name": app.container,
                "restartCount": restarts}
        if state in ("running", "unreachable"):
            status["phase"] = "Running"
            ready_at = started + dt.timedelta(seconds=9)
            conds = [cond("PodReadyToStartContainers", "True", started + dt.timedelta(seconds=2)),
                     cond("Initialized", "True", started), cond("Ready", "True", ready_at),
                     cond("ContainersReady", "True", ready_at), cond("PodScheduled", "True", created)]
            if state == "unreachable":
                conds[2] = cond("Ready", "False", since)
            status["conditions"] = conds
            status["containerStatuses"] = [{**base, "lastState": {}, "ready": True, "started": True, "state": running}]
        elif state == "crashloop":
            status["phase"] = "Running"
            status["conditions"] = [
                cond("PodReadyToStartContainers", "True", started + dt.timedelta(seconds=2)),
                cond("Initialized", "True", started),
                cond("Ready", "False", since or started, "ContainersNotReady", not_ready),
                cond("ContainersReady", "False", since or started, "ContainersNotReady", not_ready),
                cond("PodScheduled", "True", created)]
            status["containerStatuses"] = [{
                **base, "ready": False, "started": False,
                "lastState": {"terminated": {"containerID": container_id, "exitCode": exit_code,
                                             "finishedAt": _ts(last_end), "reason": reason,
                                             "startedAt": _ts(last_start)}},
                "state": {"waiting": {"message": f"back-off 5m0s restarting failed container={app.container} "
                                                 f"pod={name}_{ns}({uid})", "reason": "CrashLoopBackOff"}}}]
        elif state == "imagepull":
            status["phase"] = "Pending"
            status["conditions"] = [
                cond("PodReadyToStartContainers", "True", started + dt.timedelta(seconds=2)),
                cond("Initialized", "True", started),
                cond("Ready", "False", started, "ContainersNotReady", not_ready),
                cond("ContainersReady", "False", started, "ContainersNotReady", not_ready),
                cond("PodScheduled", "True", created)]
            status["containerStatuses"] = [{
                "image": app.image, "imageID": "", "lastState": {}, "name": app.container, "ready": False,
                "restartCount": 0, "started": False,
                "state": {"waiting": {"message": f'Back-off pulling image "{app.image}"',
                                      "reason": "ImagePullBackOff"}}}]
        elif state == "succeeded":
            status["phase"] = "Succeeded"
            done = last_end or started + dt.timedelta(minutes=3)
            status["conditions"] = [
                cond("PodReadyToStartContainers", "False", done + dt.timedelta(seconds=1)),
                cond("Initialized", "True", started), cond("Ready", "False", done, "PodCompleted"),
                cond("ContainersReady", "False", done, "PodCompleted"), cond("PodScheduled", "True", created)]
            status["containerStatuses"] = [{
                **base, "lastState": {}, "ready": False, "started": False,
                "state": {"terminated": {"containerID": container_id, "exitCode": 0, "finishedAt": _ts(done),
                                         "reason": "Completed",
                                         "startedAt": _ts(started + dt.timedelta(seconds=4))}}}]
        else:
            raise ValueError(f"unknown pod state {state!r}")
        obj["status"] = status
        return self.add(obj)

    # -- workloads -----------------------------------------------------------------------------------
    def deployment(self, app: App, replicas: int, created: dt.datetime, revisions: Sequence["Revision"],
                   generation: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The Deployment and one ReplicaSet per revision (last = current); pods are added by the caller."""
        labels = app.pod_labels()
        current = revisions[-1]
        generation = generation or current.number
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": self.meta("Deployment", app.ns, app.name, created, labels=labels,
                                            annotations={"deployment.kubernetes.io/revision": str(current.number),
                                                         **({LAST_APPLIED: app.last_applied("Deployment")}
                                                            if app.env else {})},
                                            generation=generation),
                      "spec": {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                               "selector": {"matchLabels": labels},
                               "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                                            "type": "RollingUpdate"},
                               "template": _template(current.app)}}
        sets = []
        for rev in revisions:
            rs_name = f"{app.name}-{rev.hash(self.cluster.name)}"
            rs_labels = {**labels, "pod-template-hash": rev.hash(self.cluster.name)}
            template = _template(rev.app)
            template["metadata"]["labels"]["pod-template-hash"] = rev.hash(self.cluster.name)
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": self.meta("ReplicaSet", app.ns, rs_name, rev.created, labels=rs_labels, annotations={
                      "deployment.kubernetes.io/desired-replicas": str(replicas),
                      "deployment.kubernetes.io/max-replicas": str(replicas + -(-replicas // 4)),
                      "deployment.kubernetes.io/revision": str(rev.number)}, owner=deployment,
                      generation=rev.generation),
                  "spec": {"replicas": rev.replicas, "selector": {"matchLabels": rs_labels}, "template": template},
                  "status": {"observedGeneration": rev.generation, "replicas": rev.replicas}}
            if rev.replicas:
                rs["status"].update(fullyLabeledReplicas=rev.replicas, availableReplicas=rev.ready,
                                    readyReplicas=rev.ready)
                if not rev.ready:
                    del rs["status"]["availableReplicas"], rs["status"]["readyReplicas"]
            sets.append(self.add(rs))
        total = sum(r.replicas for r in revisions)
        ready = sum(r.ready for r in revisions)
        status: dict[str, Any] = {"observedGeneration": generation, "replicas": total,
                                  "updatedReplicas": current.replicas}
        if ready:
            status.update(readyReplicas=ready, availableReplicas=ready)
        if total - ready:
            status["unavailableReplicas"] = total - ready
        min_available = replicas - replicas // 4
        rs_name = f"{app.name}-{current.hash(self.cluster.name)}"
        available_since = current.changed or created + dt.timedelta(seconds=20)
        conditions = [{"lastTransitionTime": _ts(available_since), "lastUpdateTime": _ts(available_since),
                       "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                       "status": "True", "type": "Available"} if ready >= min_available else
                      {"lastTransitionTime": _ts(available_since), "lastUpdateTime": _ts(available_since),
                       "message": "Deployment does not have minimum availability.",
                       "reason": "MinimumReplicasUnavailable", "status": "False", "type": "Available"}]
        rolling = any(r.replicas for r in revisions[:-1])
        if rolling and current.ready < current.replicas and self.clock.now - current.created > dt.timedelta(minutes=10):
            deadline = current.created + dt.timedelta(minutes=10)
            conditions.append({"lastTransitionTime": _ts(deadline), "lastUpdateTime": _ts(deadline),
                               "message": f'ReplicaSet "{rs_name}" has timed out progressing.',
                               "reason": "ProgressDeadlineExceeded", "status": "False", "type": "Progressing"})
        elif rolling:
            conditions.append({"lastTransitionTime": _ts(current.created), "lastUpdateTime": _ts(current.created),
                               "message": f'ReplicaSet "{rs_name}" is progressing.', "reason": "ReplicaSetUpdated",
                               "status": "True", "type": "Progressing"})
        else:
            done = current.created + dt.timedelta(seconds=25)
            conditions.append({"lastTransitionTime": _ts(created), "lastUpdateTime": _ts(done),
                               "message": f'ReplicaSet "{rs_name}" has successfully progressed.',
                               "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"})
        status["conditions"] = conditions
        deployment["status"] = status
        self.add(deployment)
        return deployment, sets

    def statefulset(self, app: App, created: dt.datetime, storage: str, storage_class: str = "gp3") -> dict:
        labels = app.pod_labels()
        revision = f"{app.name}-{_token(10, self.cluster.name, app.ns, app.name, 'sts')}"
        return self.add({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": self.meta("StatefulSet", app.ns, app.name, created, labels=labels, generation=1),
            "spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                     "podManagementPolicy": "OrderedReady", "replicas": 1, "revisionHistoryLimit": 10,
                     "selector": {"matchLabels": labels}, "serviceName": app.name, "template": _template(app),
                     "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
                     "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                               "metadata": {"creationTimestamp": None, "name": "data"},
                                               "spec": {"accessModes": ["ReadWriteOnce"],
                                                        "resources": {"requests": {"storage": storage}},
                                                        "storageClassName": storage_class,
                                                        "volumeMode": "Filesystem"},
                                               "status": {"phase": "Pending"}}]},
            "status": {"availableReplicas": 1, "collisionCount": 0, "currentReplicas": 1,
                       "currentRevision": revision, "observedGeneration": 1, "readyReplicas": 1, "replicas": 1,
                       "updateRevision": revision, "updatedReplicas": 1}})

    def daemonset(self, app: App, created: dt.datetime, *, desired: int, current: int, ready: int,
                  misscheduled: int = 0) -> dict:
        labels = app.pod_labels()
        status = {"currentNumberScheduled": current, "desiredNumberScheduled": desired,
                  "numberMisscheduled": misscheduled, "numberReady": ready, "observedGeneration": 1,
                  "updatedNumberScheduled": current}
        if ready:
            status["numberAvailable"] = ready
        if desired - ready > 0:
            status["numberUnavailable"] = desired - ready
        return self.add({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": self.meta("DaemonSet", app.ns, app.name, created, labels=labels, generation=1,
                                  annotations={"deprecated.daemonset.template.generation": "1"}),
            "spec": {"revisionHistoryLimit": 10, "selector": {"matchLabels": labels}, "template": _template(app),
                     "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"},
                                        "type": "RollingUpdate"}},
            "status": status})

    def cronjob(self, app: App, schedule: str, created: dt.datetime, *, last_schedule: dt.datetime,
                last_success: dt.datetime | None, active: list[dict]) -> dict:
        template = _template(app)
        template["spec"]["restartPolicy"] = "OnFailure"
        status: dict[str, Any] = {"lastScheduleTime": _ts(last_schedule)}
        if last_success is not None:
            status["lastSuccessfulTime"] = _ts(last_success)
        if active:
            status["active"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": j["metadata"]["name"],
                                 "namespace": app.ns, "resourceVersion": j["metadata"]["resourceVersion"],
                                 "uid": j["metadata"]["uid"]} for j in active]
        return self.add({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": self.meta("CronJob", app.ns, app.name, created, generation=1),
            "spec": {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1, "schedule": schedule,
                     "successfulJobsHistoryLimit": 1, "suspend": False, "timeZone": "Etc/UTC",
                     "jobTemplate": {"metadata": {"creationTimestamp": None},
                                     "spec": {"backoffLimit": 2, "template": template}}},
            "status": status})

    def job(self, app: App, cronjob: dict, scheduled: dt.datetime, *,
            completed: dt.datetime | None, started: dt.datetime | None = None) -> dict:
        name = f"{app.name}-{int(scheduled.timestamp()) // 60}"
        uid = self.uid("Job", app.ns, name)
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        template = _template(app)
        template["metadata"]["labels"] = {**labels, **template["metadata"]["labels"]}
        template["spec"]["restartPolicy"] = "OnFailure"
        status: dict[str, Any] = {"startTime": _ts(started or scheduled), "terminating": 0,
                                  "uncountedTerminatedPods": {}}
        if completed is None:
            status.update(active=1, ready=0)
        else:
            status.update(succeeded=1, ready=0, completionTime=_ts(completed), conditions=[
                {"lastProbeTime": _ts(completed), "lastTransitionTime": _ts(completed), "status": "True",
                 "type": "Complete"}])  # as a 1.30 API server writes it (no SuccessCriteriaMet before 1.31)
        return self.add({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": self.meta("Job", app.ns, name, scheduled, labels=labels, owner=cronjob,
                                  annotations={"batch.kubernetes.io/cronjob-scheduled-timestamp":
                                               scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")}, generation=1),
            "spec": {"backoffLimit": 2, "completionMode": "NonIndexed", "completions": 1,
                     "manualSelector": False, "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed",
                     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}, "suspend": False,
                     "template": template},
            "status": status})

    # -- services, ingresses, storage ----------------------------------------------------------------
    def service(self, ns: str, name: str, created: dt.datetime, *, selector: dict | None, port: int,
                target: int | str, kind: str = "ClusterIP", headless: bool = False, lb_hostname: str | None = None,
                annotations: dict | None = None, cluster_ip: str | None = None, labels: dict | None = None,
                port_name: str | None = None) -> dict:
        ip = "None" if headless else cluster_ip or self.cluster_ip(ns, name)
        port_item: dict[str, Any] = {"port": port, "protocol": "TCP", "targetPort": target}
        if port_name:
            port_item["name"] = port_name
        if kind == "LoadBalancer":
            port_item["nodePort"] = 30000 + int.from_bytes(_digest("nodeport", ns, name)[:2], "big") % 2767
        spec: dict[str, Any] = {"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
                                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": [port_item],
                                "sessionAffinity": "None", "type": kind}
        if selector:
            spec["selector"] = selector
        if kind == "LoadBalancer":
            spec.update(allocateLoadBalancerNodePorts=True, externalTrafficPolicy="Cluster",
                        loadBalancerClass="service.k8s.aws/nlb")
        status: dict[str, Any] = {"loadBalancer": {"ingress": [{"hostname": lb_hostname}]} if lb_hostname else {}}
        meta = self.meta("Service", ns, name, created, labels=labels, annotations=annotations)
        if kind == "LoadBalancer":
            meta["finalizers"] = ["service.k8s.aws/resources"]
        return self.add({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec, "status": status})

    def ingress(self, ns: str, name: str, created: dt.datetime, hosts: Iterable[str], backend: str, port: int,
                lb_name: str) -> dict:
        rules = [{"host": host, "http": {"paths": [{"backend": {"service": {"name": backend,
                                                                            "port": {"number": port}}},
                                                    "path": "/", "pathType": "Prefix"}]}} for host in hosts]
        return self.add({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": self.meta("Ingress", ns, name, created, generation=1,
                                  finalizers=["ingress.k8s.aws/resources"], annotations={
                                      "alb.ingress.kubernetes.io/load-balancer-name": lb_name,
                                      "alb.ingress.kubernetes.io/scheme": "internet-facing",
                                      "alb.ingress.kubernetes.io/target-type": "ip",
                                      "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}]'}),
            "spec": {"ingressClassName": "alb", "rules": rules},
            "status": {"loadBalancer": {"ingress": [{"hostname": self.view.load_balancers[lb_name]}]}}})

    def claim(self, ns: str, name: str, created: dt.datetime, *, storage: str, storage_class: str,
              bound_node: str | None = None, labels: dict | None = None) -> dict:
        """A PVC: Bound to a new PV on ``bound_node``'s zone, or Pending when ``bound_node`` is None."""
        uid = self.uid("PersistentVolumeClaim", ns, name)
        pv_name = f"pvc-{uid}"
        spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}},
                                "storageClassName": storage_class, "volumeMode": "Filesystem"}
        meta = self.meta("PersistentVolumeClaim", ns, name, created, labels=labels,
                         finalizers=["kubernetes.io/pvc-protection"])
        if bound_node is None:
            claim = self.add({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec,
                              "status": {"phase": "Pending"}})
            return claim
        node = self.nodes[bound_node]
        zone = node["metadata"]["labels"]["topology.kubernetes.io/zone"]
        meta["annotations"] = {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                               "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                               "volume.kubernetes.io/selected-node": node["metadata"]["name"],
                               "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"}
        spec["volumeName"] = pv_name
        claim = self.add({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec,
                          "status": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": storage},
                                     "phase": "Bound"}})
        bound_at = created + dt.timedelta(seconds=4)
        self.add({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": self.meta("PersistentVolume", None, pv_name, bound_at,
                                  annotations={"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com",
                                               "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                                               "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""},
                                  finalizers=["external-provisioner.volume.kubernetes.io/finalizer",
                                              "kubernetes.io/pv-protection"]),
            "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": storage},
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name, "namespace": ns,
                                  "resourceVersion": meta["resourceVersion"], "uid": uid},
                     "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4",
                             "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity":
                                                  "1726000000000-8081-ebs.csi.aws.com"},
                             "volumeHandle": "vol-0" + _hex(16, "ebs", self.cluster.name, ns, name)},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}},
                     "persistentVolumeReclaimPolicy": "Delete", "storageClassName": storage_class,
                     "volumeMode": "Filesystem"},
            "status": {"lastPhaseTransitionTime": _ts(bound_at), "phase": "Bound"}})
        return claim

    def event(self, obj: dict, kind: str, reason: str, message: str, *, first: dt.datetime,
              last: dt.datetime | None = None, count: int = 1, component: str = "kubelet",
              field_path: str | None = None) -> dict | None:
        """An Event about ``obj``; dropped when its last occurrence is over an hour old (the API's event TTL)."""
        last = last or first
        if last > self.clock.now:
            last = self.clock.now - dt.timedelta(seconds=23)
        if first > last or self.clock.now - last > dt.timedelta(hours=1):
            return None
        meta = obj["metadata"]
        ns = meta.get("namespace") or "default"
        name = f"{meta['name']}.{_hex(16, self.cluster.name, reason, meta['uid'], _ts(first))}"
        involved = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"], "uid": meta["uid"]}
        if meta.get("namespace"):
            involved.update(namespace=meta["namespace"], resourceVersion=meta["resourceVersion"])
        if field_path:
            involved["fieldPath"] = field_path
        host = obj.get("spec", {}).get("nodeName") or (meta["name"] if obj["kind"] == "Node" else None)
        source = {"component": component}
        if component == "kubelet" and host:
            source["host"] = host
        return self.add({
            "apiVersion": "v1", "kind": "Event", "count": count, "eventTime": None, "firstTimestamp": _ts(first),
            "involvedObject": involved, "lastTimestamp": _ts(last), "message": message,
            "metadata": self.meta("Event", ns, name, first), "reason": reason,
            "reportingComponent": component,
            "reportingInstance": host if component == "kubelet" and host else "", "source": source, "type": kind})


@dataclass(frozen=True)
class Revision:
    """One ReplicaSet of a Deployment: its template, size and how many of its pods are ready."""

    app: App
    number: int
    replicas: int
    ready: int
    created: dt.datetime
    changed: dt.datetime | None = None  # when the Deployment's availability last changed
    generation: int = 1

    def hash(self, cluster: str) -> str:
        return _token(10, cluster, self.app.ns, self.app.name, self.app.image, self.app.memory_limit, self.number)


_CAPACITY = {  # instance type -> (vCPUs, memory KiB as the kubelet reports it, max pods with the VPC CNI)
    "m5.large": (2, 7_935_404, 29), "m5.xlarge": (4, 15_896_132, 58), "c6i.large": (2, 3_880_348, 29),
    "t3.medium": (2, 3_943_352, 17), "t3.large": (2, 7_992_080, 35), "c5.2xlarge": (8, 15_896_132, 58),
    "r5.xlarge": (4, 32_408_564, 58),
}


def _resources(app: App) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if app.cpu or app.memory:
        resources["requests"] = {k: v for k, v in (("cpu", app.cpu), ("memory", app.memory)) if v}
    if app.memory_limit:
        resources["limits"] = {"memory": app.memory_limit}
    return resources


def _qos(app: App) -> str:
    if not (app.cpu or app.memory or app.memory_limit):
        return "BestEffort"
    return "Burstable"


def _image_id(image: str) -> str:
    repository = image.rsplit(":", 1)[0]
    return f"{repository}@sha256:{_hex(64, 'image', image)}"


def _template(app: App) -> dict[str, Any]:
    container: dict[str, Any] = {"image": app.image, "imagePullPolicy": "IfNotPresent", "name": app.container,
                                 "resources": _resources(app), "terminationMessagePath": "/dev/termination-log",
                                 "terminationMessagePolicy": "File"}
    if app.port:
        container["ports"] = [{"containerPort": app.port, "name": "http" if app.probe_path else "main",
                               "protocol": "TCP"}]
    if app.command:
        container["command"] = list(app.command)
    if app.env:
        container["env"] = app.env_list()
    spec: dict[str, Any] = {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                            "schedulerName": "default-scheduler", "securityContext": {},
                            "serviceAccount": app.service_account, "serviceAccountName": app.service_account,
                            "terminationGracePeriodSeconds": 30}
    if app.host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        spec["tolerations"] = [{"operator": "Exists"}]
    if app.priority_class:
        spec["priorityClassName"] = app.priority_class
    if app.init_env:
        spec["initContainers"] = app.init_containers()
    return {"metadata": {"creationTimestamp": None, "labels": app.pod_labels()}, "spec": spec}


def _at(day: dt.date, clock_time: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(clock_time), tzinfo=UTC)


def _pod_name(rs: dict, *parts: object) -> str:
    return f"{rs['metadata']['name']}-{_token(5, rs['metadata']['uid'], *parts)}"


# --------------------------------------------------------------------------------------------------
# the two clusters' stories


def _system(d: Dump, roles: list[str], born: dt.datetime, *, unreachable: str | None = None,
            unreachable_since: dt.datetime | None = None) -> None:
    """kube-system: the VPC CNI and kube-proxy on every node, CoreDNS, the AWS load balancer controller."""
    for app in (App("kube-system", "aws-node", f"{ECR_EKS}/amazon-k8s-cni:v1.18.5-eksbuild.1", cpu="25m",
                    memory="", memory_limit=None, port=61678, labels=(("k8s-app", "aws-node"),),
                    host_network=True, service_account="aws-node", priority_class="system-node-critical"),
                App("kube-system", "kube-proxy", f"{ECR_EKS}/eks/kube-proxy:v1.30.6-minimal-eksbuild.3",
                    cpu="100m", memory="", memory_limit=None, port=None, labels=(("k8s-app", "kube-proxy"),),
                    host_network=True, service_account="kube-proxy", priority_class="system-node-critical")):
        healthy = [r for r in roles if r != unreachable]
        ds = d.daemonset(app, born, desired=len(healthy), current=len(healthy), ready=len(healthy),
                         misscheduled=1 if unreachable else 0)
        for role in roles:
            name = f"{app.name}-{_token(5, ds['metadata']['uid'], d.node_name(role))}"
            node_created = dt.datetime.strptime(d.nodes[role]["metadata"]["creationTimestamp"],
                                                "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            created = max(born, node_created) + dt.timedelta(seconds=5)
            d.pod(app, name, ds, node=role, created=created,
                  state="unreachable" if role == unreachable else "running", since=unreachable_since,
                  extra_labels={"controller-revision-hash": _token(10, ds["metadata"]["uid"]),
                                "pod-template-generation": "1"})
    coredns = App("kube-system", "coredns", f"{ECR_EKS}/eks/coredns:v1.11.3-eksbuild.2", cpu="100m",
                  memory="70Mi", memory_limit="170Mi", port=53, labels=(("eks.amazonaws.com/component", "coredns"),
                                                                         ("k8s-app", "kube-dns")),
                  service_account="coredns", priority_class="system-cluster-critical")
    _, (rs,) = d.deployment(coredns, 2, born, [Revision(coredns, 1, 2, 2, born)])
    for n in range(2):
        d.pod(coredns, _pod_name(rs, n), rs, node=roles[n % len(roles)] if unreachable is None else "a",
              created=born + dt.timedelta(seconds=30))
    lbc = App("kube-system", "aws-load-balancer-controller",
              "public.ecr.aws/eks/aws-load-balancer-controller:v2.8.3", cpu="100m", memory="128Mi",
              memory_limit="500Mi", port=9443, labels=(("app.kubernetes.io/instance", "aws-load-balancer-controller"),
                                                      ("app.kubernetes.io/name", "aws-load-balancer-controller")),
              service_account="aws-load-balancer-controller", priority_class="system-cluster-critical")
    lbc_created = born + dt.timedelta(hours=2)
    _, (rs,) = d.deployment(lbc, 1, lbc_created, [Revision(lbc, 1, 1, 1, lbc_created)])
    d.pod(lbc, _pod_name(rs, 0), rs, node="a", created=lbc_created)
    d.service("default", "kubernetes", born, selector=None, port=443, target=443, cluster_ip="172.20.0.1",
              labels={"component": "apiserver", "provider": "kubernetes"}, port_name="https")
    d.service("kube-system", "kube-dns", born, selector={"k8s-app": "kube-dns"}, port=53, target=53,
              cluster_ip="172.20.0.10", labels={"eks.amazonaws.com/component": "kube-dns", "k8s-app": "kube-dns",
                                                "kubernetes.io/cluster-service": "true",
                                                "kubernetes.io/name": "CoreDNS"}, port_name="dns-tcp")


def _redis(d: Dump, node: str, born: dt.datetime) -> None:
    redis = App("shop", "redis", "public.ecr.aws/docker/library/redis:7.4.1", cpu="250m", memory="512Mi",
                memory_limit="1Gi", port=6379)
    sts = d.statefulset(redis, born, "20Gi")
    d.claim("shop", "data-redis-0", born + dt.timedelta(seconds=1), storage="20Gi", storage_class="gp3",
            bound_node=node, labels={"app": "redis"})
    d.pod(redis, "redis-0", sts, node=node, created=born + dt.timedelta(seconds=1), hostname="redis-0",
          claim="data-redis-0", extra_labels={"apps.kubernetes.io/pod-index": "0",
                                              "controller-revision-hash": sts["status"]["currentRevision"],
                                              "statefulset.kubernetes.io/pod-name": "redis-0"})
    d.service("shop", "redis", born, selector={"app": "redis"}, port=6379, target=6379, headless=True,
              port_name="redis")


def _prod(d: Dump) -> None:
    c, k = d.clock, d.clock.index
    born = c.at(0, days=-200)
    registry = f"{d.cluster.account_id}.dkr.ecr.{d.cluster.region}.amazonaws.com/shop"
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
        d.namespace(ns, born)
    d.namespace("shop", born + dt.timedelta(days=3))
    d.namespace("data", born + dt.timedelta(days=60))

    # nodes: prod-app-1 (a), prod-app-2 (b, resized and rebooted on day 1), prod-worker-1 (c, from day 2)
    nodes_born = c.at(0, days=-40)
    pressure = c.at(0, minutes=-50) if k == 0 else None
    d.node("a", nodes_born, ready_since=nodes_born + dt.timedelta(seconds=20), disk_pressure_since=pressure)
    resized = c.at(1, hours=-5)
    d.node("b", nodes_born, ready_since=resized if k >= 1 else nodes_born + dt.timedelta(seconds=20),
           boot=1 if k >= 1 else 0)
    joined = c.at(2, hours=-2)
    if k >= 2:
        d.node("c", joined, ready_since=joined + dt.timedelta(seconds=35))
    roles = list(d.nodes)
    new_node = "c" if "c" in d.nodes else "b"
    _system(d, roles, born)

    # shop/web: day 0 a stuck rollout (2.4.1-rc1 does not exist); day 1 rolled out 2.4.1 and scaled to 4
    web = App("shop", "web", f"{registry}/web:2.4.0", cpu="250m", memory="256Mi", memory_limit="512Mi",
              probe_path="/healthz")
    web_born = born + dt.timedelta(days=3)
    if k == 0:
        old_created, new_created = c.at(0, days=-6), c.at(0, minutes=-35)
        new = replace(web, image=f"{registry}/web:2.4.1-rc1")
        _, (old_rs, new_rs) = d.deployment(web, 3, web_born, [Revision(web, 7, 3, 3, old_created, generation=2),
                                                                Revision(new, 8, 1, 0, new_created)])
        for n, role in enumerate(("a", "b", "b")):
            d.pod(web, _pod_name(old_rs, n), old_rs, node=role, created=old_created + dt.timedelta(seconds=n))
        bad = d.pod(new, _pod_name(new_rs, 0), new_rs, node="b", created=new_created, state="imagepull")
        pulls = c.every(new_created + dt.timedelta(seconds=20), 300)
        d.event(bad, "Warning", "Failed",
                f'Failed to pull image "{new.image}": rpc error: code = NotFound desc = failed to pull and unpack '
                f'image "{new.image}": failed to resolve reference "{new.image}": {new.image}: not found',
                first=new_created + dt.timedelta(seconds=4), last=c.now - dt.timedelta(seconds=40), count=pulls,
                field_path="spec.containers{web}")
        d.event(bad, "Warning", "BackOff", f'Back-off pulling image "{new.image}"',
                first=new_created + dt.timedelta(seconds=5), last=c.now - dt.timedelta(seconds=12),
                count=c.every(new_created, 20), field_path="spec.containers{web}")
    else:
        fixed = replace(web, image=f"{registry}/web:2.4.1")
        rolled = c.at(1, hours=-3)
        revisions = [Revision(web, 7, 0, 0, c.at(0, days=-6), generation=2),
                     Revision(replace(web, image=f"{registry}/web:2.4.1-rc1"), 8, 0, 0, c.at(0, minutes=-35),
                              generation=2),
                     Revision(fixed, 9, 4, 4, rolled, generation=2)]
        _, sets = d.deployment(web, 4, web_born, revisions, generation=10)
        for n, role in enumerate(("a", "b", "a", "b")):
            d.pod(fixed, _pod_name(sets[-1], n), sets[-1], node=role, created=rolled + dt.timedelta(seconds=n))
    d.service("shop", "web", web_born, selector={"app": "web"}, port=80, target=8080, port_name="http")
    d.ingress("shop", "web", web_born, d.cluster.ingress_hosts, "web", 80, "prod-web-alb")

    # shop/checkout: day 0 one replica OOM-crash-loops; day 1 rolled out with 512Mi; day 2 scaled to 3
    checkout = App("shop", "checkout", f"{registry}/checkout:1.9.2", cpu="200m", memory="192Mi",
                   memory_limit="256Mi", probe_path="/ready", env=CHECKOUT_ENV, init_env=CHECKOUT_INIT_ENV)
    checkout_born = born + dt.timedelta(days=3)
    if k == 0:
        created = c.at(0, days=-2)
        _, (rs,) = d.deployment(checkout, 2, checkout_born,
                                [Revision(checkout, 4, 2, 1, created, changed=c.at(0, hours=-2))])
        d.pod(checkout, _pod_name(rs, 0), rs, node="b", created=created)
        crash_start = c.at(0, hours=-2)
        restarts = c.every(crash_start, 330, start=0)
        last_start = crash_start + dt.timedelta(seconds=330 * restarts - 62)
        pod = d.pod(checkout, _pod_name(rs, 1), rs, node="a", created=created, state="crashloop", restarts=restarts,
                    last_start=last_start, last_end=last_start + dt.timedelta(seconds=31), exit_code=137,
                    reason="OOMKilled", since=crash_start)
        d.event(pod, "Warning", "BackOff",
                f"Back-off restarting failed container checkout in pod {pod['metadata']['name']}_shop"
                f"({pod['metadata']['uid']})", first=crash_start + dt.timedelta(seconds=40),
                last=c.now - dt.timedelta(seconds=50), count=c.every(crash_start, 25),
                field_path="spec.containers{checkout}")
    else:
        bigger = replace(checkout, memory="384Mi", memory_limit="512Mi")
        rolled = c.at(1, hours=-4)
        replicas = 3 if k >= 2 else 2
        _, sets = d.deployment(checkout, replicas, checkout_born,
                               [Revision(checkout, 4, 0, 0, c.at(0, days=-2)),
                                Revision(bigger, 5, replicas, replicas, rolled,
                                         generation=2 if k >= 2 else 1)], generation=6 if k >= 2 else 5)
        for n, role in enumerate(("a", "b")):
            d.pod(bigger, _pod_name(sets[-1], n), sets[-1], node=role, created=rolled + dt.timedelta(seconds=n))
        if k >= 2:
            scaled = c.at(2, minutes=-30)
            d.pod(bigger, _pod_name(sets[-1], 2), sets[-1], node=new_node, created=scaled)
            d.event(_find(d, "Deployment", "shop", "checkout"), "Normal",
                    "ScalingReplicaSet", f"Scaled up replica set {sets[-1]['metadata']['name']} to 3 from 2",
                    first=scaled, component="deployment-controller")
    d.service("shop", "checkout", checkout_born, selector={"app": "checkout"}, port=80, target=8080,
              port_name="http")
    d.service("shop", "api", checkout_born + dt.timedelta(days=1), selector={"app": "checkout"}, port=443,
              target=8080, kind="LoadBalancer", lb_hostname=d.view.load_balancers["prod-api-nlb"], annotations={
                  "external-dns.alpha.kubernetes.io/hostname": "api.shop.example.com",
                  "service.beta.kubernetes.io/aws-load-balancer-name": "prod-api-nlb",
                  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                  "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                  "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                  # text someone pasted: only the scrubber's patterns can find the secrets in it
                  "shop.example.com/deployed-with": f"ci AWS_ACCESS_KEY_ID={seeded_secrets.ACCESS_KEY_ID} "
                                                    f"smoke test password={seeded_secrets.PAIR_PASSWORD}",
                  "shop.example.com/database-url": f"postgres://checkout:{seeded_secrets.URL_PASSWORD}"
                                                   "@checkout-db.shop.svc:5432/checkout",
                  "shop.example.com/origin-tls-key": seeded_secrets.PRIVATE_KEY}, port_name="https")

    # shop/worker: day 0 one pod evicted from the disk-pressure node (and replaced); it lingers.
    # day 1 on, one replica crash-loops (exit 1)
    worker = App("shop", "worker", f"{registry}/worker:3.1.0", cpu="500m", memory="512Mi", memory_limit="1Gi",
                 port=None, command=("/app/worker", "--queue=orders"))
    worker_created = c.at(0, days=-9)
    evicted_at = c.at(0, minutes=-40)
    crash_start = c.at(1, minutes=-90)
    crashing = k >= 1
    _, (rs,) = d.deployment(worker, 2, born + dt.timedelta(days=3),
                            [Revision(worker, 3, 2, 1 if crashing else 2, worker_created,
                                      changed=crash_start if crashing else evicted_at + dt.timedelta(seconds=30))])
    message = ("The node was low on resource: ephemeral-storage. Threshold quantity: 10486048550, available: "
               "9784320Ki. Container worker was using 6874412Ki, request is 0, has larger consumption of "
               "ephemeral-storage. ")
    evicted = d.pod(worker, _pod_name(rs, "evicted"), rs, node="a", created=worker_created, state="evicted",
                    since=evicted_at, message=message)
    d.event(evicted, "Warning", "Evicted", message, first=evicted_at)
    d.pod(worker, _pod_name(rs, 0), rs, node="b", created=worker_created)
    replacement = evicted_at + dt.timedelta(seconds=2)
    if crashing:
        restarts = c.every(crash_start, 330, start=0)
        last_start = crash_start + dt.timedelta(seconds=330 * restarts - 40)
        pod = d.pod(worker, _pod_name(rs, 1), rs, node="b", created=replacement,
                    state="crashloop", restarts=restarts, last_start=last_start,
                    last_end=last_start + dt.timedelta(seconds=6), exit_code=1, reason="Error", since=crash_start)
        d.event(pod, "Warning", "BackOff",
                f"Back-off restarting failed container worker in pod {pod['metadata']['name']}_shop"
                f"({pod['metadata']['uid']})", first=crash_start + dt.timedelta(seconds=15),
                last=c.now - dt.timedelta(seconds=70), count=c.every(crash_start, 25),
                field_path="spec.containers{worker}")
    else:
        d.pod(worker, _pod_name(rs, 1), rs, node="b", created=replacement)

    _redis(d, "a", born + dt.timedelta(days=3))

    # data/debug-shell (day 2): a bare pod someone started with a mistyped image tag, new for the digest
    if k >= 2:
        shell = App("data", "debug-shell", f"{registry}/toolbox:latets", cpu="100m", memory="128Mi",
                    memory_limit="256Mi", port=None, command=("sleep", "infinity"))
        started = c.at(2, minutes=-25)
        pod = d.pod(shell, "debug-shell", None, node="a", created=started, state="imagepull")
        d.event(pod, "Warning", "BackOff", f'Back-off pulling image "{shell.image}"',
                first=started + dt.timedelta(seconds=5), last=c.now - dt.timedelta(seconds=20),
                count=c.every(started, 20), field_path="spec.containers{debug-shell}")

    # data/nightly-report: the day-0 run cannot be scheduled (12Gi); it runs once prod-app-2 is bigger
    report = App("data", "nightly-report",
                 f"{d.cluster.account_id}.dkr.ecr.{d.cluster.region}.amazonaws.com/data/nightly-report:2025.10.1",
                 cpu="1", memory="12Gi", memory_limit="12Gi", port=None,
                 command=("python", "-m", "report", "--nightly"))
    scheduled = c.daily("03:00:00")
    cron_owner = {"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "nightly-report", "uid": d.uid("CronJob", "data", "nightly-report")}}
    if k == 0:
        job = d.job(report, cron_owner, scheduled, completed=None)
        message = ("0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint "
                   "{node.kubernetes.io/disk-pressure: }. preemption: 0/2 nodes are available: 1 No preemption "
                   "victims found for incoming pod, 1 Preemption is not helpful for scheduling.")
        pod = d.pod(report, f"{job['metadata']['name']}-{_token(5, job['metadata']['uid'])}", job, node=None,
                    created=scheduled, state="unschedulable", message=message,
                    extra_labels=dict(job["metadata"]["labels"]))
        d.event(pod, "Warning", "FailedScheduling", message, first=scheduled + dt.timedelta(seconds=1),
                last=c.now - dt.timedelta(minutes=4), count=c.every(scheduled, 300),
                component="default-scheduler")
        d.cronjob(report, "0 3 * * *", born + dt.timedelta(days=60), last_schedule=scheduled,
                  last_success=scheduled - dt.timedelta(days=1, minutes=-6), active=[job])
    else:
        started = scheduled + dt.timedelta(seconds=3)
        done = scheduled + dt.timedelta(minutes=7, seconds=12)
        job = d.job(report, cron_owner, scheduled, completed=done, started=started)
        d.pod(report, f"{job['metadata']['name']}-{_token(5, job['metadata']['uid'])}", job, node="b",
              created=scheduled, state="succeeded", last_end=done - dt.timedelta(seconds=2),
              extra_labels=dict(job["metadata"]["labels"]))
        d.cronjob(report, "0 3 * * *", born + dt.timedelta(days=60), last_schedule=scheduled, last_success=done,
                  active=[])

    # data/scratch-export: a claim on a StorageClass nobody created
    claim = d.claim("data", "scratch-export", c.at(0, days=-2, hours=-3), storage="200Gi", storage_class="io2-fast")
    d.event(claim, "Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "io2-fast" not found',
            first=c.at(0, days=-2, hours=-3), last=c.now - dt.timedelta(seconds=95),
            count=c.every(c.at(0, days=-2, hours=-3), 900), component="persistentvolume-controller")

    # the disk-pressure node's own events
    if k == 0:
        node = d.nodes["a"]
        d.event(node, "Normal", "NodeHasDiskPressure",
                f"Node {node['metadata']['name']} status is now: NodeHasDiskPressure", first=pressure)
        d.event(node, "Warning", "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage",
                first=pressure + dt.timedelta(seconds=10), last=c.now - dt.timedelta(minutes=3),
                count=c.every(pressure, 600))
    if k >= 2 and "c" in d.nodes:
        node = d.nodes["c"]
        d.event(node, "Normal", "RegisteredNode",
                f"Node {node['metadata']['name']} event: Registered Node {node['metadata']['name']} in Controller",
                first=joined, component="node-controller")


def _stg(d: Dump) -> None:
    c, k = d.clock, d.clock.index
    born = c.at(0, days=-150)
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
        d.namespace(ns, born)
    d.namespace("shop", born + dt.timedelta(days=1))
    nodes_born = c.at(0, days=-60)
    d.node("a", nodes_born, ready_since=nodes_born + dt.timedelta(seconds=22))
    runner = d.view.instances.get("x")
    stopped = (runner.stopped_at if runner and runner.stopped_at else c.at(0, days=-35)) if runner else None
    dead = None
    if k == 0 and runner is not None and runner.state in ("stopped", "stopping"):
        d.node("x", nodes_born, ready_since=nodes_born, unreachable_since=stopped, heartbeat=stopped)
        dead = "x"
    elif k == 0 and runner is not None:
        d.node("x", nodes_born, ready_since=nodes_born + dt.timedelta(seconds=22))
    if dead is None and k >= 1:
        deleted_at = c.at(1, minutes=-30)
        if k == 1 and runner is not None:
            d.event({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": runner.private_dns, "uid": d.uid("Node", None, runner.private_dns)}},
                    "Normal", "RemovingNode",
                    f"Node {runner.private_dns} event: Removing Node {runner.private_dns} from Controller",
                    first=deleted_at, component="node-controller")
    _system(d, list(d.nodes), born, unreachable=dead, unreachable_since=stopped)

    registry = f"{d.cluster.account_id}.dkr.ecr.{d.cluster.region}.amazonaws.com/shop"
    web = App("shop", "web", f"{registry}/web:2.4.1", cpu="100m", memory="128Mi", memory_limit="256Mi",
              probe_path="/healthz")
    web_born = born + dt.timedelta(days=1)
    rolled = c.at(0, days=-1, hours=-4)
    _, (rs,) = d.deployment(web, 2, web_born, [Revision(web, 12, 2, 2, rolled)], generation=12)
    for n in range(2):
        d.pod(web, _pod_name(rs, n), rs, node="a", created=rolled + dt.timedelta(seconds=n))
    d.service("shop", "web", web_born, selector={"app": "web"}, port=80, target=8080, port_name="http")
    d.ingress("shop", "web", web_born, d.cluster.ingress_hosts, "web", 80, "stg-web-alb")

    checkout = App("shop", "checkout", f"{registry}/checkout:1.9.2", cpu="100m", memory="192Mi",
                   memory_limit="512Mi", probe_path="/ready", env=CHECKOUT_ENV, init_env=CHECKOUT_INIT_ENV)
    checkout_born = born + dt.timedelta(days=1)
    old_created = c.at(0, days=-3)
    if k == 0:
        _, (rs,) = d.deployment(checkout, 1, checkout_born, [Revision(checkout, 6, 1, 1, old_created)],
                                generation=6)
        d.pod(checkout, _pod_name(rs, 0), rs, node="a", created=old_created)
    else:
        rc = replace(checkout, image=f"{registry}/checkout:1.10.0-rc1")
        rollout = c.at(1, minutes=-55)
        crash_start = c.at(1, minutes=-50)
        _, (old_rs, new_rs) = d.deployment(checkout, 1, checkout_born,
                                           [Revision(checkout, 6, 1, 1, old_created),
                                            Revision(rc, 7, 1, 0, rollout)], generation=7)
        d.pod(checkout, _pod_name(old_rs, 0), old_rs, node="a", created=old_created)
        restarts = c.every(crash_start, 330, start=0)
        last_start = crash_start + dt.timedelta(seconds=330 * restarts - 45)
        pod = d.pod(rc, _pod_name(new_rs, 0), new_rs, node="a", created=rollout, state="crashloop",
                    restarts=restarts, last_start=last_start, last_end=last_start + dt.timedelta(seconds=3),
                    exit_code=1, reason="Error", since=crash_start)
        d.event(pod, "Warning", "BackOff",
                f"Back-off restarting failed container checkout in pod {pod['metadata']['name']}_shop"
                f"({pod['metadata']['uid']})", first=crash_start + dt.timedelta(seconds=10),
                last=c.now - dt.timedelta(seconds=35), count=c.every(crash_start, 25),
                field_path="spec.containers{checkout}")
        if k == 1:
            d.event(_find(d, "Deployment", "shop", "checkout"), "Normal", "ScalingReplicaSet",
                    f"Scaled up replica set {new_rs['metadata']['name']} to 1", first=rollout,
                    component="deployment-controller")
    d.service("shop", "checkout", checkout_born, selector={"app": "checkout"}, port=80, target=8080,
              port_name="http")

    _redis(d, "a", born + dt.timedelta(days=1))

    # shop/smoke-test: every morning at 05:30, done in two minutes
    smoke = App("shop", "smoke-test", f"{registry}/smoke-test:1.4.0", cpu="100m", memory="64Mi",
                memory_limit="128Mi", port=None, command=("/smoke", "--target=http://web.shop"))
    scheduled = c.daily("05:30:00")
    done = scheduled + dt.timedelta(minutes=1, seconds=48)
    owner = {"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": "smoke-test", "uid": d.uid("CronJob", "shop", "smoke-test")}}
    job = d.job(smoke, owner, scheduled, completed=done)
    pod = d.pod(smoke, f"{job['metadata']['name']}-{_token(5, job['metadata']['uid'])}", job, node="a",
                created=scheduled, state="succeeded", last_end=done - dt.timedelta(seconds=2),
                extra_labels=dict(job["metadata"]["labels"]))
    d.event(pod, "Normal", "Scheduled", f"Successfully assigned shop/{pod['metadata']['name']} to "
                                        f"{d.node_name('a')}", first=scheduled, component="default-scheduler")
    d.event(job, "Normal", "Completed", "Job completed", first=done, component="job-controller")
    d.cronjob(smoke, "30 5 * * *", born + dt.timedelta(days=20), last_schedule=scheduled, last_success=done,
              active=[])


def _find(d: Dump, kind: str, ns: str, name: str) -> dict:
    return next(o for o in d.items if o["kind"] == kind and o["metadata"].get("namespace") == ns
                and o["metadata"]["name"] == name)


_SCENARIOS = {"prod-eks": _prod, "stg-eks": _stg}


def build_dump(view: AwsView, day: dt.date, day_index: int, *, anchor: dt.datetime,
               now: dt.datetime) -> dict[str, Any]:
    """The cluster's ``kubectl get <KINDS> --all-namespaces -o json`` output at ``now`` on demo day ``day_index``.

    ``anchor`` is the day's first dump (ages in the module docstring are relative to it).
    """
    if day_index not in (0, 1, 2):
        raise ValueError(f"the demo clusters know days 0, 1 and 2, not {day_index!r}")
    clock = Clock(day0=day - dt.timedelta(days=day_index), index=day_index, anchor=anchor, now=now)
    dump = Dump(view, clock)
    _SCENARIOS[view.cluster.name](dump)
    return dump.document()


def render(document: dict[str, Any]) -> bytes:
    """JSON as kubectl prints it: keys sorted (unstructured objects), 4-space indent, Go's HTML escaping."""
    text = json.dumps(document, indent=4, sort_keys=True, ensure_ascii=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return (text + "\n").encode()


# --------------------------------------------------------------------------------------------------
# uploading through the bastion script


def dump_instants(day: dt.date, times: Sequence[str] | None = None, *,
                  now: dt.datetime | None = None) -> list[dt.datetime]:
    """When the day's dumps are taken: ``times`` (UTC ``HH:MM:SS``) or the defaults (module docstring).

    Never in the future: a dump can only be taken of now.
    """
    now = (now or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if times is None:
        if day == now.date():
            midnight = _at(day, "00:00:00")
            last = max(now - dt.timedelta(minutes=1), midnight + dt.timedelta(seconds=len(DEFAULT_TIMES)))
            instants = [max(midnight + dt.timedelta(seconds=n), last - DUMP_INTERVAL * (len(DEFAULT_TIMES) - 1 - n))
                        for n in range(len(DEFAULT_TIMES))]
        else:
            instants = [_at(day, t) for t in DEFAULT_TIMES]
    else:
        instants = [_at(day, t) for t in times]
    if not instants or any(b <= a for a, b in zip(instants, instants[1:])):
        raise ValueError(f"dump times must be increasing: {[_ts(i) for i in instants]}")
    if instants[-1] > now:
        raise ValueError(f"a dump at {_ts(instants[-1])} would be in the future (now {_ts(now)})")
    return instants


def _parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"dumps uri {uri!r} is not s3://bucket[/prefix]")
    bucket, _, prefix = uri[len("s3://"):].strip("/").partition("/")
    return bucket, prefix


def ensure_bucket(endpoint_url: str, bucket: str) -> None:
    """Create the drop box in the emulator with plain default credentials, unless it is there."""
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        s3.create_bucket(Bucket=bucket)


_KUBECTL = """#!/bin/sh
# stand-in kubectl (cloud_inventory.demo.k8s): prints the demo dump in $DEMO_KUBECTL_OUTPUT
case "$*" in
    "get {kinds} --all-namespaces -o json"*) exec cat "$DEMO_KUBECTL_OUTPUT" ;;
esac
echo "kubectl stand-in: unexpected arguments: $*" >&2
exit 1
"""

_DATE = """#!/bin/sh
# stand-in date (cloud_inventory.demo.k8s): the real date, at the demo dump's instant $DEMO_DATE_EPOCH
if {real} -d @0 +%s >/dev/null 2>&1; then
    exec {real} -d "@$DEMO_DATE_EPOCH" "$@"
fi
exec {real} -r "$DEMO_DATE_EPOCH" "$@"
"""


def _stand_ins(folder: Path) -> Path:
    real_date = shutil.which("date") or "/bin/date"
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for name, text in (("kubectl", _KUBECTL.replace("{kinds}", ",".join(KINDS))),
                       ("date", _DATE.replace("{real}", real_date))):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
    return bin_dir


def _bastion_env(endpoint_url: str, bin_dir: Path, tmp: Path) -> dict[str, str]:
    aws_cli = Path(sys.executable).parent / "aws"
    if not aws_cli.exists():
        raise RuntimeError(f"the AWS CLI is not installed next to {sys.executable} (requirements.txt has awscli)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "KUBE", "CLUSTER_NAME", "DUMPS_URI", "INVENTORY_DUMPS_URI", "DEMO_"))}
    env.update({
        "PATH": os.pathsep.join([str(bin_dir), str(aws_cli.parent), "/usr/bin", "/bin"]),
        "TMPDIR": str(tmp),
        "AWS_ENDPOINT_URL": endpoint_url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "3",
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
    })
    return env


class Bastion:
    """A bastion on this machine: the stand-in kubectl and date first on PATH, the real AWS CLI against the
    emulator; `upload` runs the real include/bastion/k8s-dump.sh once and returns the key it uploaded."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._folder = tempfile.TemporaryDirectory(prefix="demo-k8s-")
        self.root = Path(self._folder.name)
        tmp = self.root / "tmp"
        tmp.mkdir()
        self.env = _bastion_env(endpoint_url, _stand_ins(self.root), tmp)
        self._dumps = 0

    def __enter__(self) -> "Bastion":
        return self

    def __exit__(self, *exc) -> None:
        self._folder.cleanup()

    def upload(self, cluster: str, dumps_uri: str, document: bytes, instant: dt.datetime) -> str:
        bucket, prefix = _parse_s3_uri(dumps_uri)
        self._dumps += 1
        output = self.root / f"{cluster}-{self._dumps}.json"
        output.write_bytes(document)
        run_env = {**self.env, "DEMO_KUBECTL_OUTPUT": str(output), "DEMO_DATE_EPOCH": str(int(instant.timestamp()))}
        result = subprocess.run(["sh", str(BASTION_SCRIPT), cluster, dumps_uri], env=run_env,
                                capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise RuntimeError(f"k8s-dump.sh {cluster} exited {result.returncode}: {result.stderr.strip()}")
        key = f"{prefix + '/' if prefix else ''}cluster={cluster}/dt={instant.date().isoformat()}/" \
              f"{instant.strftime('%Y%m%dT%H%M%SZ')}.json.gz"
        if f"s3://{bucket}/{key} " not in result.stdout:
            raise RuntimeError(f"k8s-dump.sh {cluster} uploaded something else than {key}: {result.stdout}")
        return key


def upload_dumps(endpoint_url: str, day: dt.date, day_index: int, *, dumps_uri: str,
                 clusters: Iterable[str] | None = None, times: Sequence[str] | None = None,
                 now: dt.datetime | None = None) -> list[str]:
    """Dump each demo cluster at the day's instants and upload through the real bastion script.

    Returns the uploaded keys (relative to the bucket), in upload order: per cluster, earliest first.
    """
    names = list(CLUSTERS) if clusters is None else list(clusters)
    unknown = [n for n in names if n not in CLUSTERS]
    if unknown:
        raise ValueError(f"unknown demo clusters {unknown}; known: {list(CLUSTERS)}")
    instants = dump_instants(day, times, now=now)
    ensure_bucket(endpoint_url, _parse_s3_uri(dumps_uri)[0])
    keys: list[str] = []
    with Bastion(endpoint_url) as bastion:
        for name in names:
            view = look_up(endpoint_url, name)
            for instant in instants:
                document = render(build_dump(view, day, day_index, anchor=instants[0], now=instant))
                keys.append(bastion.upload(name, dumps_uri, document, instant))
    return keys
