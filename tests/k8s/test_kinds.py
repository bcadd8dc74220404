from __future__ import annotations

import json
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from cloud_inventory.k8s.kinds import COMMON_SCHEMA, KINDS, SCHEMAS, TABLES, ebs_volume_id, instance_id, to_row
from cloud_inventory.k8s.parser import parse_dump

from .conftest import DUMP_AT, SNAPSHOT_DATE, SOURCE, fixture

UTC = timezone.utc


@pytest.fixture(scope="module")
def tables() -> dict[str, list[dict]]:
    return parse_dump(fixture("cluster.json.gz"), **SOURCE)


def by_name(tables, table: str) -> dict[str, dict]:
    return {row["name"]: row for row in tables[table]}


def test_tables_and_schemas():
    assert list(TABLES) == ["pod", "service", "ingress", "deployment", "replicaset", "statefulset", "daemonset",
                            "job", "cronjob", "node", "persistentvolumeclaim", "persistentvolume", "namespace",
                            "event", "other"]
    for entry in KINDS:
        schema = SCHEMAS[entry.table]
        assert schema.names[:len(COMMON_SCHEMA)] == COMMON_SCHEMA.names
        assert len(set(schema.names)) == len(schema.names), entry.table


def test_every_row_fits_its_schema(tables):
    for table, rows in tables.items():
        assert pa.Table.from_pylist(rows, schema=SCHEMAS[table]).num_rows == len(rows)


def test_common_columns(tables):
    pod = by_name(tables, "pod")["web-7d4b9c8f6d-x2x9k"]
    assert {key: pod[key] for key in ("cluster", "account_id", "region", "kind", "api_version", "namespace", "name",
                                      "resource_id", "dump_at", "snapshot_at", "snapshot_date")} == {
        "cluster": "prod-use1", "account_id": "111122223333", "region": "us-east-1", "kind": "Pod",
        "api_version": "v1", "namespace": "shop", "name": "web-7d4b9c8f6d-x2x9k",
        "resource_id": "shop/web-7d4b9c8f6d-x2x9k", "dump_at": DUMP_AT, "snapshot_at": DUMP_AT,
        "snapshot_date": SNAPSHOT_DATE}
    assert pod["uid"].startswith("00000000-0000-4000-8000-")
    assert pod["labels"] == {"app": "web"}
    assert pod["created_at"] == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert json.loads(pod["raw"])["spec"]["containers"][1]["image"] == "envoy:1.31"
    node = tables["node"][0]
    assert node["namespace"] is None and node["resource_id"] == node["name"]


def test_pods(tables):
    pods = by_name(tables, "pod")
    web = pods["web-7d4b9c8f6d-x2x9k"]
    assert (web["phase"], web["node_name"], web["pod_ip"], web["host_ip"], web["qos_class"]) == (
        "Running", "ip-10-0-1-23.ec2.internal", "10.0.1.57", "10.0.1.23", "Burstable")
    assert (web["owner_kind"], web["owner_name"]) == ("ReplicaSet", "web-7d4b9c8f6d")
    assert (web["ready_containers"], web["total_containers"], web["restart_count"]) == (2, 2, 1)
    assert web["waiting_reason"] is None and web["last_termination_reason"] is None
    assert web["cpu_request_cores"] == pytest.approx(0.35)  # 100m + 0.25
    assert web["cpu_limit_cores"] == pytest.approx(1.5)  # 500m + 1
    assert web["memory_request_bytes"] == 128 * 2**20 + 2**30
    assert web["memory_limit_bytes"] == 256 * 2**20 + 2**30

    crash = pods["api-5f6c7d8e9f-abcde"]
    assert (crash["waiting_reason"], crash["last_termination_reason"], crash["restart_count"]) == (
        "CrashLoopBackOff", "OOMKilled", 42)
    assert crash["ready_containers"] == 0 and crash["total_containers"] == 1

    pull = pods["worker-0"]
    assert (pull["phase"], pull["waiting_reason"]) == ("Pending", "ImagePullBackOff")
    assert pull["memory_request_bytes"] == 1000  # "1e3"
    assert pull["cpu_limit_cores"] is None and pull["memory_limit_bytes"] is None

    evicted = pods["report-6b7c8d9e0f-zzzzz"]
    assert (evicted["phase"], evicted["reason"], evicted["qos_class"]) == ("Failed", "Evicted", "BestEffort")
    assert "low on resource" in evicted["message"]
    assert evicted["cpu_request_cores"] is None and evicted["pod_ip"] is None

    pending = pods["big-0"]
    assert (pending["phase"], pending["node_name"], pending["started_at"]) == ("Pending", None, None)
    assert pending["cpu_request_cores"] == 64 and pending["memory_request_bytes"] == 512 * 2**30


def test_services(tables):
    services = by_name(tables, "service")
    web = services["web"]
    assert (web["type"], web["cluster_ip"], web["load_balancer_hostname"], web["load_balancer_ip"]) == (
        "LoadBalancer", "172.20.10.5", "a1b2c3-123456789.us-east-1.elb.amazonaws.com", None)
    assert web["ports"] == ["80:31380/TCP->8080", "443:31443/TCP->8443"]
    assert web["selector"] == {"app": "web"}
    api = services["api"]
    assert (api["type"], api["ports"], api["load_balancer_hostname"]) == ("ClusterIP", ["8080/TCP"], None)


def test_ingresses(tables):
    (ingress,) = tables["ingress"]
    assert ingress["ingress_class"] == "alb"
    assert ingress["hosts"] == ["shop.example.com", "admin.example.com"]
    assert ingress["paths"] == ["shop.example.com/api", "shop.example.com/", "admin.example.com/"]
    assert ingress["backends"] == ["default-http:80", "web:80", "front:http", "admin:8443"]
    assert ingress["load_balancer_hostname"] == "k8s-shop-web-0123456789.us-east-1.elb.amazonaws.com"


def test_ingress_class_from_the_old_annotation():
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "old", "namespace": "a", "annotations": {"kubernetes.io/ingress.class": "nginx"}},
           "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {"resource": {"kind": "Bucket", "name": "b"}}}]}}]}}
    _, row = to_row(obj, SOURCE)
    assert (row["ingress_class"], row["hosts"], row["paths"], row["backends"]) == ("nginx", [], ["/"], ["Bucket/b"])


def test_workloads(tables):
    deployments = by_name(tables, "deployment")
    assert {k: deployments["web"][k] for k in ("desired", "ready", "available", "updated")} == {
        "desired": 3, "ready": 2, "available": 2, "updated": 3}
    # the API leaves out readyReplicas/availableReplicas when they are zero: 0, not null
    assert (deployments["api"]["desired"], deployments["api"]["ready"], deployments["api"]["available"]) == (2, 0, 0)
    (replicaset,) = tables["replicaset"]
    assert (replicaset["desired"], replicaset["ready"], replicaset["owner_kind"], replicaset["owner_name"]) == (
        3, 2, "Deployment", "web")
    (statefulset,) = tables["statefulset"]
    assert (statefulset["desired"], statefulset["ready"], statefulset["available"]) == (2, 1, 1)
    (daemonset,) = tables["daemonset"]
    assert (daemonset["desired"], daemonset["ready"], daemonset["available"], daemonset["misscheduled"]) == (3, 2, 2, 0)
    assert daemonset["resource_id"] == "kube-system/aws-node"


def test_jobs_and_cronjobs(tables):
    (job,) = tables["job"]
    assert (job["active"], job["succeeded"], job["failed"], job["owner_kind"], job["owner_name"]) == (
        0, 0, 3, "CronJob", "nightly")
    assert job["started_at"] == datetime(2026, 11, 20, 2, 0, tzinfo=UTC) and job["completed_at"] is None
    (cronjob,) = tables["cronjob"]
    assert (cronjob["schedule"], cronjob["suspend"], cronjob["active"]) == ("0 2 * * *", False, 0)
    assert cronjob["last_schedule_at"] == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_nodes(tables):
    nodes = by_name(tables, "node")
    a = nodes["ip-10-0-1-23.ec2.internal"]
    assert (a["instance_type"], a["zone"], a["instance_id"], a["kubelet_version"]) == (
        "m5.xlarge", "us-east-1a", "i-0abc1234def567890", "v1.31.2-eks-7f9249a")
    assert (a["nodegroup"], a["capacity_type"], a["internal_ip"]) == ("general", "ON_DEMAND", "10.0.1.23")
    assert (a["capacity_cpu_cores"], a["capacity_memory_bytes"], a["capacity_pods"]) == (4.0, 15896552 * 1024, 58)
    assert a["allocatable_cpu_cores"] == pytest.approx(3.92)
    assert (a["allocatable_memory_bytes"], a["allocatable_pods"]) == (14880744 * 1024, 58)
    assert (a["ready"], a["disk_pressure"], a["memory_pressure"], a["pid_pressure"]) == (True, False, False, False)
    b = nodes["ip-10-0-2-40.ec2.internal"]
    assert (b["disk_pressure"], b["ready"], b["instance_id"]) == (True, True, "i-0123456789abcdef0")
    old = nodes["ip-10-0-3-77.ec2.internal"]  # beta labels; Ready Unknown (kubelet stopped reporting)
    assert (old["instance_type"], old["zone"], old["ready"], old["unschedulable"]) == (
        "t3.large", "us-east-1c", None, True)


@pytest.mark.parametrize("provider, expected", [
    ("aws:///us-east-1a/i-0abc1234def567890", "i-0abc1234def567890"),
    ("aws://us-east-1a/i-0abc", "i-0abc"),
    ("aws:///us-east-1a/fargate-ip-10-0-1-2.ec2.internal", None),
    ("gce://project/zone/name", None),
    (None, None),
])
def test_instance_id(provider, expected):
    assert instance_id({"spec": {"providerID": provider}}) == expected


def test_claims(tables):
    claims = by_name(tables, "persistentvolumeclaim")
    bound = claims["data-worker-0"]
    assert (bound["phase"], bound["storage_class"], bound["requested_bytes"], bound["volume_name"]) == (
        "Bound", "gp3", 20 * 2**30, "pvc-00000000-0000-4000-8000-aaaaaaaaaaaa")
    pending = claims["data-big-0"]
    assert (pending["phase"], pending["storage_class"], pending["requested_bytes"], pending["volume_name"]) == (
        "Pending", "io2", 500 * 10**9, None)


def test_volumes(tables):
    volumes = by_name(tables, "persistentvolume")
    csi = volumes["pvc-00000000-0000-4000-8000-aaaaaaaaaaaa"]
    assert (csi["ebs_volume_id"], csi["capacity_bytes"], csi["phase"], csi["claim_namespace"], csi["claim_name"]) == (
        "vol-0a1b2c3d4e5f67890", 20 * 2**30, "Bound", "shop", "data-worker-0")
    legacy = volumes["legacy-data"]
    assert (legacy["ebs_volume_id"], legacy["phase"], legacy["claim_name"], legacy["reclaim_policy"]) == (
        "vol-0fedcba9876543210", "Released", None, "Retain")


@pytest.mark.parametrize("spec, expected", [
    ({"awsElasticBlockStore": {"volumeID": "aws://us-east-1a/vol-0abc"}}, "vol-0abc"),
    ({"awsElasticBlockStore": {"volumeID": "vol-0abc"}}, "vol-0abc"),
    ({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0def"}}, "vol-0def"),
    ({"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-0123::fsap-0456"}}, None),
    ({"hostPath": {"path": "/data"}}, None),
])
def test_ebs_volume_id(spec, expected):
    assert ebs_volume_id({"spec": spec}) == expected


def test_namespaces(tables):
    assert {row["name"]: row["phase"] for row in tables["namespace"]} == {
        "default": "Active", "kube-system": "Active", "shop": "Active", "ops": "Active"}


def test_events(tables):
    events = by_name(tables, "event")
    backoff = events["api-5f6c7d8e9f-abcde.1880a0f0e1d2c3b4"]
    assert (backoff["type"], backoff["reason"], backoff["count"]) == ("Warning", "BackOff", 397)
    assert (backoff["involved_kind"], backoff["involved_namespace"], backoff["involved_name"]) == (
        "Pod", "shop", "api-5f6c7d8e9f-abcde")
    assert backoff["last_seen_at"] == datetime(2026, 11, 20, 7, 58, tzinfo=UTC)
    assert backoff["source_component"] == "kubelet" and "Back-off restarting" in backoff["message"]
    assert events["web.1880a0f0e1d2c3b5"]["type"] == "Normal"  # all events kept; analysts filter Warning
    series = events["big-0.1880a1b2c3d4e5f6"]  # recorded through events.k8s.io: no count/lastTimestamp
    assert (series["reason"], series["count"], series["source_component"]) == ("FailedScheduling", 17, "default-scheduler")
    assert series["last_seen_at"] == datetime(2026, 11, 20, 7, 50, 0, 654321, tzinfo=UTC)


def test_same_kind_name_in_another_group_is_other():
    obj = {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "a"}}
    table, row = to_row(obj, SOURCE)
    assert (table, row["kind"], row["api_version"]) == ("other", "Deployment", "example.com/v1")


def test_bad_quantities_are_null_not_fatal():
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
           "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "lots", "memory": "1Gi"}}}]}}
    _, row = to_row(obj, SOURCE)
    assert (row["cpu_request_cores"], row["memory_request_bytes"]) == (None, 2**30)
