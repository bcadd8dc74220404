"""What we keep of each Kubernetes kind: one declarative entry per kind, one lake table per entry.

Every row has the common columns (source identity, object identity, labels, times, `raw`); an entry
adds the columns analysts filter on, each a JMESPath into the object or a small function of it.
Kinds without an entry go to table `other` with their kind and apiVersion: never dropped.
Every object is redacted in `to_row`, before any column is read from it (redaction.REDACTED: env values,
the last-applied annotation, Secret and ConfigMap data...), and every row scrubbed (redaction's scrubber).

The API omits zero and false fields (`readyReplicas` of a deployment with none ready), so counts
default to 0 where the API means 0 by leaving them out; values that are truly unknown stay null.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import pyarrow as pa

from cloud_inventory.k8s.quantity import QuantityError, parse_quantity, total
from cloud_inventory.redaction import redact_k8s, scrub_columns, scrub_field_names, scrub_json
from cloud_inventory.values import pick, to_json, to_timestamp  # noqa: F401 - pick is part of this module's API

Path = str | Callable[[dict], Any]  # a JMESPath into the object, or a function of it

COMMON_SCHEMA = pa.schema([
    ("cluster", pa.string()),
    ("account_id", pa.string()),
    ("region", pa.string()),
    ("kind", pa.string()),
    ("api_version", pa.string()),
    ("namespace", pa.string()),
    ("name", pa.string()),
    ("uid", pa.string()),
    ("resource_id", pa.string()),
    ("labels", pa.map_(pa.string(), pa.string())),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("dump_at", pa.timestamp("us", tz="UTC")),
    ("snapshot_at", pa.timestamp("us", tz="UTC")),  # = dump_at: the lake-wide name (design.md)
    ("snapshot_date", pa.date32()),
    ("raw", pa.string()),
])

TIMESTAMP = pa.timestamp("us", tz="UTC")
TEXT_LIST = pa.list_(pa.string())
TEXT_MAP = pa.map_(pa.string(), pa.string())


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    path: Path


@dataclass(frozen=True)
class Kind:
    table: str
    kind: str | None  # the object's `kind`; None for the catch-all table
    columns: tuple[Column, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(COMMON_SCHEMA) + [pa.field(column.name, column.type) for column in self.columns])


# --- conversions ---------------------------------------------------------------------------------

def _quantity(value: Any):
    try:
        return parse_quantity(value)
    except QuantityError:
        return None


def cores(value: Any) -> float | None:
    amount = _quantity(value)
    return None if amount is None else float(amount)


def whole(value: Any) -> int | None:
    """Bytes or counts, rounded up like Quantity.Value()."""
    amount = _quantity(value)
    return None if amount is None else int(-(-amount // 1))


def _int0(path: str) -> Callable[[dict], int]:
    """A count the API leaves out when it is zero."""
    read = _reader(path)
    return lambda obj: int(read(obj) or 0)


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


_PLAIN_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _reader(path: Path) -> Callable[[dict], Any]:
    """A column's path as a function of the object.

    A plain dotted path (`status.phase`) reads its keys directly: the same answer JMESPath gives for it (null
    when a key is missing or a step is not an object), without walking JMESPath's parse tree for every row.
    Any other expression goes through `pick`.
    """
    if callable(path):
        return path
    if _PLAIN_PATH.fullmatch(path):
        keys = tuple(path.split("."))
        return lambda obj: _get(obj, *keys)
    return lambda obj: pick(obj, path)


# --- pods ----------------------------------------------------------------------------------------

def _statuses(pod: dict) -> list[dict]:
    status = pod.get("status") or {}
    return [s for s in _list(status.get("initContainerStatuses")) + _list(status.get("containerStatuses"))
            if isinstance(s, dict)]


def pod_owner(pod: dict, field: str) -> str | None:
    owners = [o for o in _list(_get(pod, "metadata", "ownerReferences")) if isinstance(o, dict)]
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    return None if owner is None else owner.get(field)


def pod_ready(pod: dict) -> int:
    return sum(1 for s in _list(_get(pod, "status", "containerStatuses")) if isinstance(s, dict) and s.get("ready"))


def pod_total(pod: dict) -> int:
    return len(_list(_get(pod, "spec", "containers")))


def pod_restarts(pod: dict) -> int:
    return sum(int(s.get("restartCount") or 0) for s in _statuses(pod))


def pod_waiting_reason(pod: dict) -> str | None:
    """The first container's waiting reason (init containers first): CrashLoopBackOff, ImagePullBackOff..."""
    return next((reason for s in _statuses(pod) if (reason := _get(s, "state", "waiting", "reason"))), None)


def pod_termination_reason(pod: dict) -> str | None:
    """Why a container last ended (OOMKilled, Error): its previous run, else its current terminated state."""
    for keys in (("lastState", "terminated", "reason"), ("state", "terminated", "reason")):
        reason = next((r for s in _statuses(pod) if (r := _get(s, *keys))), None)
        if reason:
            return reason
    return None


def _container_sum(section: str, resource: str, convert: Callable[[Any], Any]) -> Callable[[dict], Any]:
    """Summed over the app containers (not init containers); null when no container sets it."""
    def summed(pod: dict) -> Any:
        values = [_get(c, "resources", section, resource) for c in _list(_get(pod, "spec", "containers"))]
        try:
            amount = total(values)
        except QuantityError:
            return None
        return None if amount is None else convert(amount)
    return summed


# --- services and ingresses ----------------------------------------------------------------------

def service_ports(service: dict) -> list[str]:
    """kubectl's PORT(S) column: `80:31380/TCP` (port[:nodePort]/protocol), with `->targetPort`."""
    ports = []
    for port in _list(_get(service, "spec", "ports")):
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        text += f"/{port.get('protocol') or 'TCP'}"
        if port.get("targetPort") is not None and port.get("targetPort") != port.get("port"):
            text += f"->{port['targetPort']}"
        ports.append(text)
    return ports


def _lb(field: str) -> Callable[[dict], str | None]:
    """First load balancer hostname or IP from status.loadBalancer.ingress."""
    return lambda obj: next((i.get(field) for i in _list(_get(obj, "status", "loadBalancer", "ingress"))
                             if isinstance(i, dict) and i.get(field)), None)


def _backend(backend: Any) -> str | None:
    service = _get(backend, "service")
    if isinstance(service, dict):
        port = service.get("port") or {}
        return f"{service.get('name')}:{port.get('number') or port.get('name')}"
    resource = _get(backend, "resource")
    if isinstance(resource, dict):
        return f"{resource.get('kind')}/{resource.get('name')}"
    return None


def _ingress_paths(ingress: dict) -> list[tuple[str, str, str | None]]:
    """(host, path, backend) per rule path; host `*` for rules without one."""
    result = []
    for rule in _list(_get(ingress, "spec", "rules")):
        for path in _list(_get(rule, "http", "paths")):
            result.append((rule.get("host") or "*", path.get("path") or "/", _backend(path.get("backend"))))
    return result


def ingress_hosts(ingress: dict) -> list[str]:
    hosts = [rule.get("host") for rule in _list(_get(ingress, "spec", "rules")) if rule.get("host")]
    return list(dict.fromkeys(hosts))


def ingress_paths(ingress: dict) -> list[str]:
    return [f"{host}{path}" if host != "*" else path for host, path, _ in _ingress_paths(ingress)]


def ingress_backends(ingress: dict) -> list[str]:
    backends = [backend for _, _, backend in _ingress_paths(ingress) if backend]
    default = _backend(_get(ingress, "spec", "defaultBackend"))
    return list(dict.fromkeys(([default] if default else []) + backends))


def ingress_class(ingress: dict) -> str | None:
    return (_get(ingress, "spec", "ingressClassName")
            or _get(ingress, "metadata", "annotations", "kubernetes.io/ingress.class"))


# --- nodes and volumes ---------------------------------------------------------------------------

def node_condition(condition: str) -> Callable[[dict], bool | None]:
    """True/False from the condition's status; null when it is Unknown or absent."""
    def status(node: dict) -> bool | None:
        for item in _list(_get(node, "status", "conditions")):
            if item.get("type") == condition:
                return {"True": True, "False": False}.get(item.get("status"))
        return None
    return status


def instance_id(node: dict) -> str | None:
    """EC2 instance id from spec.providerID: `aws:///us-east-1a/i-0abc` -> `i-0abc`."""
    provider = _get(node, "spec", "providerID")
    if not isinstance(provider, str) or not provider.startswith("aws://"):
        return None
    last = provider.rstrip("/").rsplit("/", 1)[-1]
    return last if last.startswith("i-") else None


def node_label(*keys: str) -> Callable[[dict], str | None]:
    return lambda node: next((value for key in keys if (value := _get(node, "metadata", "labels", key))), None)


def node_address(kind: str) -> Callable[[dict], str | None]:
    return lambda node: next((a.get("address") for a in _list(_get(node, "status", "addresses"))
                              if a.get("type") == kind), None)


def ebs_volume_id(volume: dict) -> str | None:
    """`aws://us-east-1a/vol-0abc` (in-tree) or the EBS CSI driver's volumeHandle -> `vol-0abc`."""
    spec = volume.get("spec") or {}
    in_tree = _get(spec, "awsElasticBlockStore", "volumeID")
    if isinstance(in_tree, str) and in_tree:
        return in_tree.rstrip("/").rsplit("/", 1)[-1]
    if _get(spec, "csi", "driver") == "ebs.csi.aws.com":
        return _get(spec, "csi", "volumeHandle")
    return None


# --- events ----------------------------------------------------------------------------------------

def event_count(event: dict) -> int:
    """`count`, or `series.count` for events recorded through events.k8s.io; an event happened at least once."""
    return int(event.get("count") or _get(event, "series", "count") or 1)


def event_last_seen(event: dict) -> datetime | None:
    for value in (event.get("lastTimestamp"), _get(event, "series", "lastObservedTime"), event.get("eventTime"),
                  event.get("firstTimestamp")):
        if (stamp := to_timestamp(value)) is not None:
            return stamp
    return None


# --- the registry ----------------------------------------------------------------------------------

def _ts(path: str) -> Callable[[dict], datetime | None]:
    read = _reader(path)
    return lambda obj: to_timestamp(read(obj))


def _replicas(desired: str, ready: str, available: str, updated: str) -> tuple[Column, ...]:
    return (
        Column("desired", pa.int64(), _int0(desired)),
        Column("ready", pa.int64(), _int0(ready)),
        Column("available", pa.int64(), _int0(available)),
        Column("updated", pa.int64(), _int0(updated)),
    )


def _owner_columns() -> tuple[Column, ...]:
    return (Column("owner_kind", pa.string(), lambda o: pod_owner(o, "kind")),
            Column("owner_name", pa.string(), lambda o: pod_owner(o, "name")))


KINDS: tuple[Kind, ...] = (
    Kind("pod", "Pod", (
        Column("phase", pa.string(), "status.phase"),
        Column("reason", pa.string(), "status.reason"),  # Evicted, NodeLost, ...
        Column("message", pa.string(), "status.message"),
        Column("node_name", pa.string(), "spec.nodeName"),
        Column("pod_ip", pa.string(), "status.podIP"),
        Column("host_ip", pa.string(), "status.hostIP"),
        Column("qos_class", pa.string(), "status.qosClass"),
        *_owner_columns(),
        Column("ready_containers", pa.int64(), pod_ready),
        Column("total_containers", pa.int64(), pod_total),
        Column("restart_count", pa.int64(), pod_restarts),
        Column("waiting_reason", pa.string(), pod_waiting_reason),
        Column("last_termination_reason", pa.string(), pod_termination_reason),
        Column("cpu_request_cores", pa.float64(), _container_sum("requests", "cpu", float)),
        Column("cpu_limit_cores", pa.float64(), _container_sum("limits", "cpu", float)),
        Column("memory_request_bytes", pa.int64(), _container_sum("requests", "memory", whole)),
        Column("memory_limit_bytes", pa.int64(), _container_sum("limits", "memory", whole)),
        Column("started_at", TIMESTAMP, _ts("status.startTime")),
    )),
    Kind("service", "Service", (
        Column("type", pa.string(), "spec.type"),
        Column("cluster_ip", pa.string(), "spec.clusterIP"),
        Column("external_name", pa.string(), "spec.externalName"),
        Column("load_balancer_hostname", pa.string(), _lb("hostname")),
        Column("load_balancer_ip", pa.string(), _lb("ip")),
        Column("ports", TEXT_LIST, service_ports),
        Column("selector", TEXT_MAP, lambda o: _text_map(_get(o, "spec", "selector"))),
    )),
    Kind("ingress", "Ingress", (
        Column("ingress_class", pa.string(), ingress_class),
        Column("hosts", TEXT_LIST, ingress_hosts),
        Column("paths", TEXT_LIST, ingress_paths),
        Column("backends", TEXT_LIST, ingress_backends),
        Column("load_balancer_hostname", pa.string(), _lb("hostname")),
        Column("load_balancer_ip", pa.string(), _lb("ip")),
    )),
    Kind("deployment", "Deployment", _replicas("spec.replicas", "status.readyReplicas",
                                               "status.availableReplicas", "status.updatedReplicas")),
    Kind("replicaset", "ReplicaSet", _replicas("spec.replicas", "status.readyReplicas",
                                               "status.availableReplicas", "status.fullyLabeledReplicas")
         + _owner_columns()),
    Kind("statefulset", "StatefulSet", _replicas("spec.replicas", "status.readyReplicas",
                                                 "status.availableReplicas", "status.updatedReplicas")),
    Kind("daemonset", "DaemonSet", _replicas("status.desiredNumberScheduled", "status.numberReady",
                                             "status.numberAvailable", "status.updatedNumberScheduled")
         + (Column("misscheduled", pa.int64(), _int0("status.numberMisscheduled")),)),
    Kind("job", "Job", (
        Column("completions", pa.int64(), "spec.completions"),
        Column("active", pa.int64(), _int0("status.active")),
        Column("succeeded", pa.int64(), _int0("status.succeeded")),
        Column("failed", pa.int64(), _int0("status.failed")),
        Column("started_at", TIMESTAMP, _ts("status.startTime")),
        Column("completed_at", TIMESTAMP, _ts("status.completionTime")),
        *_owner_columns(),
    )),
    Kind("cronjob", "CronJob", (
        Column("schedule", pa.string(), "spec.schedule"),
        Column("suspend", pa.bool_(), lambda o: bool(_get(o, "spec", "suspend"))),
        Column("active", pa.int64(), lambda o: len(_list(_get(o, "status", "active")))),
        Column("last_schedule_at", TIMESTAMP, _ts("status.lastScheduleTime")),
        Column("last_success_at", TIMESTAMP, _ts("status.lastSuccessfulTime")),
    )),
    Kind("node", "Node", (
        Column("instance_type", pa.string(), node_label("node.kubernetes.io/instance-type",
                                                        "beta.kubernetes.io/instance-type")),
        Column("zone", pa.string(), node_label("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")),
        Column("instance_id", pa.string(), instance_id),
        Column("provider_id", pa.string(), "spec.providerID"),
        Column("nodegroup", pa.string(), node_label("eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool")),
        Column("capacity_type", pa.string(), node_label("eks.amazonaws.com/capacityType", "karpenter.sh/capacity-type")),
        Column("internal_ip", pa.string(), node_address("InternalIP")),
        Column("unschedulable", pa.bool_(), lambda o: bool(_get(o, "spec", "unschedulable"))),
        Column("capacity_cpu_cores", pa.float64(), lambda o: cores(_get(o, "status", "capacity", "cpu"))),
        Column("capacity_memory_bytes", pa.int64(), lambda o: whole(_get(o, "status", "capacity", "memory"))),
        Column("capacity_pods", pa.int64(), lambda o: whole(_get(o, "status", "capacity", "pods"))),
        Column("allocatable_cpu_cores", pa.float64(), lambda o: cores(_get(o, "status", "allocatable", "cpu"))),
        Column("allocatable_memory_bytes", pa.int64(), lambda o: whole(_get(o, "status", "allocatable", "memory"))),
        Column("allocatable_pods", pa.int64(), lambda o: whole(_get(o, "status", "allocatable", "pods"))),
        Column("ready", pa.bool_(), node_condition("Ready")),
        Column("disk_pressure", pa.bool_(), node_condition("DiskPressure")),
        Column("memory_pressure", pa.bool_(), node_condition("MemoryPressure")),
        Column("pid_pressure", pa.bool_(), node_condition("PIDPressure")),
        Column("kubelet_version", pa.string(), "status.nodeInfo.kubeletVersion"),
    )),
    Kind("persistentvolumeclaim", "PersistentVolumeClaim", (
        Column("phase", pa.string(), "status.phase"),
        Column("storage_class", pa.string(), "spec.storageClassName"),
        Column("requested_bytes", pa.int64(), lambda o: whole(_get(o, "spec", "resources", "requests", "storage"))),
        Column("capacity_bytes", pa.int64(), lambda o: whole(_get(o, "status", "capacity", "storage"))),
        Column("volume_name", pa.string(), "spec.volumeName"),
        Column("access_modes", TEXT_LIST, lambda o: [str(m) for m in _list(_get(o, "spec", "accessModes"))]),
    )),
    Kind("persistentvolume", "PersistentVolume", (
        Column("ebs_volume_id", pa.string(), ebs_volume_id),
        Column("csi_driver", pa.string(), "spec.csi.driver"),
        Column("capacity_bytes", pa.int64(), lambda o: whole(_get(o, "spec", "capacity", "storage"))),
        Column("phase", pa.string(), "status.phase"),
        Column("storage_class", pa.string(), "spec.storageClassName"),
        Column("reclaim_policy", pa.string(), "spec.persistentVolumeReclaimPolicy"),
        Column("claim_namespace", pa.string(), "spec.claimRef.namespace"),
        Column("claim_name", pa.string(), "spec.claimRef.name"),
    )),
    Kind("namespace", "Namespace", (
        Column("phase", pa.string(), "status.phase"),
    )),
    Kind("event", "Event", (
        Column("type", pa.string(), "type"),
        Column("reason", pa.string(), "reason"),
        Column("message", pa.string(), "message"),
        Column("count", pa.int64(), event_count),
        Column("involved_kind", pa.string(), "involvedObject.kind"),
        Column("involved_namespace", pa.string(), "involvedObject.namespace"),
        Column("involved_name", pa.string(), "involvedObject.name"),
        Column("source_component", pa.string(), lambda o: _get(o, "source", "component") or o.get("reportingComponent")),
        Column("first_seen_at", TIMESTAMP, lambda o: to_timestamp(o.get("firstTimestamp") or o.get("eventTime"))),
        Column("last_seen_at", TIMESTAMP, event_last_seen),
    )),
    Kind("other", None),
)

BY_KIND: dict[str, Kind] = {entry.kind: entry for entry in KINDS if entry.kind}
OTHER = KINDS[-1]
TABLES: dict[str, Kind] = {entry.table: entry for entry in KINDS}
SCHEMAS: dict[str, pa.Schema] = {entry.table: entry.schema for entry in KINDS}
_READERS: dict[str, tuple[tuple[str, Callable[[dict], Any]], ...]] = {
    entry.table: tuple((column.name, _reader(column.path)) for column in entry.columns) for entry in KINDS}


def kind_of(obj: dict) -> Kind:
    """The entry for the object's kind; unknown kinds (and same-named kinds of other API groups) are `other`."""
    entry = BY_KIND.get(obj.get("kind"))
    if entry is None:
        return OTHER
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    return entry if group in _CORE_GROUPS.get(entry.kind, ("",)) else OTHER


_CORE_GROUPS = {
    "Deployment": ("apps",), "ReplicaSet": ("apps",), "StatefulSet": ("apps",), "DaemonSet": ("apps",),
    "Job": ("batch",), "CronJob": ("batch",), "Ingress": ("networking.k8s.io", "extensions"),
    "Event": ("", "events.k8s.io"),
}


def to_row(obj: dict, context: dict) -> tuple[str, dict]:
    """(table, row) for one object; context: cluster, account_id, region, dump_at, snapshot_date.

    The object is redacted before anything reads it and `raw` is scrubbed. The other columns are read from the
    same object (or from the context, the accounts file's), so they show nothing `raw` does not: they are
    scrubbed too whenever `raw` held something to mask, and cost nothing more when it held nothing.
    """
    entry = kind_of(obj)
    obj = redact_k8s(obj, listed=entry is not OTHER)
    metadata = obj.get("metadata") or {}
    namespace, name = metadata.get("namespace") or None, str(metadata.get("name"))
    raw, masked = raw_json(obj)
    row = {
        "cluster": context["cluster"],
        "account_id": context["account_id"],
        "region": context["region"],
        "kind": obj.get("kind"),
        "api_version": obj.get("apiVersion"),
        "namespace": namespace,
        "name": name,
        "uid": metadata.get("uid"),
        "resource_id": f"{namespace}/{name}" if namespace else name,
        "labels": _text_map(metadata.get("labels")),
        "created_at": to_timestamp(metadata.get("creationTimestamp")),
        "dump_at": context["dump_at"],
        "snapshot_at": context["dump_at"],
        "snapshot_date": context["snapshot_date"],
        "raw": raw,
    }
    for name, read in _READERS[entry.table]:
        row[name] = read(obj)
    return entry.table, scrub_columns(row, skip=("raw",)) if masked else row


# a string no API object holds (a random one per process), where an object's managedFields are spliced back
_SET_ASIDE = f"\x00managedFields-{uuid.uuid4()}"
_SET_ASIDE_JSON = to_json(_SET_ASIDE)


def raw_json(obj: dict) -> tuple[str, bool]:
    """The object as JSON text, scrubbed (redaction.scrub_json), and whether that masked anything.

    Its metadata.managedFields (field names and list keys, never values: `k:{\\"name\\":\\"DB_URL\\"}`,
    up to half of an object, with most of its escaped quotes) get only the patterns that can matter there
    (redaction.scrub_field_names), then are spliced back where they were.
    """
    metadata = obj.get("metadata")
    fields = metadata.get("managedFields") if isinstance(metadata, dict) else None
    if not isinstance(fields, list) or len(fields) < 2:  # one manager's fields are few: not worth setting aside
        text = to_json(obj)
        scrubbed = scrub_json(text)
        return scrubbed, scrubbed is not text
    text = to_json({**obj, "metadata": {**metadata, "managedFields": _SET_ASIDE}})
    fields_text = to_json(fields)
    scrubbed, scrubbed_fields = scrub_json(text), scrub_field_names(fields_text)
    return (scrubbed.replace(_SET_ASIDE_JSON, scrubbed_fields, 1),
            scrubbed is not text or scrubbed_fields is not fields_text)
