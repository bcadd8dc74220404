"""The demo's Kubernetes clusters: dumps built from the seeded estate, uploaded by the real bastion script
(stand-in kubectl and date, the venv's real AWS CLI) to the emulator, and read back with the real parser.

One emulator for the module; the fixture seeds day 0 and uploads its dumps, records what EC2, ELB and
Route 53 hold, then seeds day 1 (uploads prod-eks only) and day 2 (builds without uploading), so the
tests do not depend on their order.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

from cloud_inventory.accounts import load as load_accounts
from cloud_inventory.demo import estate
from cloud_inventory.demo import k8s as demo_k8s
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.k8s.parser import parse_dump

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUCKET = "cloud-inventory-k8s-dumps"
URI = f"s3://{BUCKET}/dumps"
UTC = dt.timezone.utc
TODAY = dt.datetime.now(UTC).date()
DAY0 = TODAY - dt.timedelta(days=2)
DAY1 = TODAY - dt.timedelta(days=1)
KEY = re.compile(r"^dumps/cluster=(?P<cluster>[a-z0-9-]+)/dt=(?P<dt>\d{4}-\d{2}-\d{2})/(?P<stamp>\d{8}T\d{6}Z)\.json\.gz$")

pytestmark = pytest.mark.skipif(shutil.which("sh") is None or not (Path(sys.executable).parent / "aws").exists(),
                                reason="needs sh and the venv's AWS CLI")


def _s3(url: str):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _aws_state(url: str) -> dict:
    """What the demo clusters' accounts hold right now: instances, load balancer DNS names, Route 53 names."""
    state = {}
    for cluster in demo_k8s.CLUSTERS.values():
        session = estate.assumed_session(url, cluster.account_id, cluster.region)
        ec2 = session.client("ec2", endpoint_url=url, region_name=cluster.region)
        instances = {i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
        enis = {a["PrivateIpAddress"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]
                for a in n["PrivateIpAddresses"]}
        subnets = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets()["Subnets"]}
        lbs = {lb["DNSName"] for lb in session.client("elbv2", endpoint_url=url, region_name=cluster.region)
               .describe_load_balancers()["LoadBalancers"]}
        route53 = session.client("route53", endpoint_url=url)
        names = {r["Name"].rstrip(".") for z in route53.list_hosted_zones()["HostedZones"]
                 for r in route53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]}
        state[cluster.name] = SimpleNamespace(instances=instances, enis=enis, subnets=subnets, lbs=lbs,
                                              records=names)
    return state


def _read(url: str, key: str) -> tuple[bytes, dict]:
    s3 = _s3(url)
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), s3.head_object(Bucket=BUCKET, Key=key)


def _parse(cluster: str, data: bytes, dump_at: dt.datetime) -> dict[str, list[dict]]:
    spec = demo_k8s.CLUSTERS[cluster]
    return parse_dump(io.BytesIO(data), cluster, spec.account_id, spec.region, dump_at, dump_at.date())


def _dump_at(key: str) -> dt.datetime:
    return dt.datetime.strptime(KEY.match(key)["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def demo():
    timings = {}
    with Emulator() as emulator:
        url = emulator.url
        started = time.monotonic()
        facts = estate.seed(url, 0)
        timings["seed day 0"] = time.monotonic() - started

        started = time.monotonic()
        keys0 = demo_k8s.upload_dumps(url, DAY0, 0, dumps_uri=URI)
        timings["upload day 0"] = time.monotonic() - started
        objects0 = {key: _read(url, key) for key in keys0}
        aws0 = _aws_state(url)
        listed0 = [o["Key"] for o in _s3(url).list_objects_v2(Bucket=BUCKET)["Contents"]]

        estate.seed(url, 1)
        started = time.monotonic()
        keys1 = demo_k8s.upload_dumps(url, DAY1, 1, dumps_uri=URI, clusters=["prod-eks"])
        timings["upload day 1, prod-eks only"] = time.monotonic() - started
        objects1 = {key: _read(url, key) for key in keys1}
        aws1 = _aws_state(url)
        listed1 = [o["Key"] for o in _s3(url).list_objects_v2(Bucket=BUCKET)["Contents"]]

        estate.seed(url, 2)
        instants = demo_k8s.dump_instants(TODAY)
        day2 = {}
        for cluster in demo_k8s.CLUSTERS:
            view = demo_k8s.look_up(url, cluster)
            document = demo_k8s.build_dump(view, TODAY, 2, anchor=instants[0], now=instants[-1])
            day2[cluster] = _parse(cluster, demo_k8s.render(document), instants[-1])
        aws2 = _aws_state(url)
    print(" ".join(f"{name}: {seconds:.1f}s;" for name, seconds in timings.items()))
    return SimpleNamespace(facts=facts, keys0=keys0, objects0=objects0, aws0=aws0, listed0=listed0, keys1=keys1,
                           objects1=objects1, aws1=aws1, listed1=listed1, day2=day2, aws2=aws2)


def latest(keys: list[str], objects: dict, cluster: str) -> dict[str, list[dict]]:
    key = max(k for k in keys if KEY.match(k)["cluster"] == cluster)
    return _parse(cluster, gzip.decompress(objects[key][0]), _dump_at(key))


def pods(tables, **where):
    return [r for r in tables["pod"] if all(r[k] == v for k, v in where.items())]


def short(tables) -> set[str]:
    return {f"{t}:{r['namespace']}/{r['name']}" for t in ("deployment", "statefulset", "daemonset")
            for r in tables[t] if r["ready"] < r["desired"]}


def unhealthy_pods(tables) -> set[str]:
    return {r["name"].rsplit("-", 2)[0] + ":" + (r["waiting_reason"] or r["reason"] or r["phase"])
            for r in tables["pod"]
            if r["phase"] in ("Failed", "Pending") or r["waiting_reason"] or r["reason"]}


# --- day 0: layout, encryption, parsing -------------------------------------------------------------

def test_day0_keys_follow_the_drop_box_layout_two_dumps_per_cluster(demo):
    assert sorted(demo.keys0) == sorted(demo.listed0) and len(demo.keys0) == 4
    stamp = DAY0.strftime("%Y%m%d")
    assert demo.keys0 == [f"dumps/cluster={c}/dt={DAY0.isoformat()}/{stamp}T{t}Z.json.gz"
                          for c in ("prod-eks", "stg-eks") for t in ("054500", "060000")]


def test_day0_objects_are_gzip_with_sse_and_kubectl_shaped(demo):
    for key, (body, head) in demo.objects0.items():
        assert body[:2] == b"\x1f\x8b", key
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ContentType"] == "application/gzip"
        text = gzip.decompress(body).decode()
        assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [\n        {\n')  # kubectl's 4-space indent
        document = json.loads(text)
        assert document["kind"] == "List" and document["metadata"] == {"resourceVersion": ""}
        kinds = [item["kind"] for item in document["items"]]
        order = ["Pod", "Service", "Ingress", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                 "CronJob", "Node", "PersistentVolumeClaim", "PersistentVolume", "Namespace", "Event"]
        assert list(dict.fromkeys(kinds)) == order, key  # every kind, grouped in the order kubectl was asked
        for item in document["items"]:
            meta = item["metadata"]
            assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"], meta["name"]
            assert list(item) == sorted(item)


def test_every_dump_parses_into_every_table(demo):
    for key, (body, _) in demo.objects0.items():
        tables = _parse(KEY.match(key)["cluster"], body, _dump_at(key))  # gzip as uploaded
        assert tables["other"] == []
        assert all(rows for table, rows in tables.items() if table != "other"), \
            {table: len(rows) for table, rows in tables.items()}


def test_the_later_dump_of_the_day_shows_the_crash_loop_further_along(demo):
    first, second = sorted(k for k in demo.keys0 if "prod-eks" in k)
    restarts = [_parse("prod-eks", demo.objects0[k][0], _dump_at(k)) for k in (first, second)]
    crash = [pods(t, waiting_reason="CrashLoopBackOff")[0] for t in restarts]
    assert crash[0]["name"] == crash[1]["name"]
    assert (crash[0]["restart_count"], crash[1]["restart_count"]) == (21, 24)


# --- day 0: the planted problems --------------------------------------------------------------------

def test_prod_day0_has_exactly_the_planted_problems(demo):
    tables = latest(demo.keys0, demo.objects0, "prod-eks")
    dump_at = tables["pod"][0]["dump_at"]
    assert unhealthy_pods(tables) == {"checkout:CrashLoopBackOff", "web:ImagePullBackOff", "worker:Evicted",
                                      "nightly-report:Pending"}
    [crash] = pods(tables, waiting_reason="CrashLoopBackOff")
    assert (crash["namespace"], crash["last_termination_reason"], crash["phase"]) == ("shop", "OOMKilled", "Running")
    assert crash["ready_containers"] == 0 and crash["owner_kind"] == "ReplicaSet"
    [pull] = pods(tables, waiting_reason="ImagePullBackOff")
    assert pull["phase"] == "Pending" and dump_at - pull["created_at"] < dt.timedelta(hours=1)
    [evicted] = pods(tables, reason="Evicted")
    assert evicted["phase"] == "Failed" and evicted["pod_ip"] is None
    [pending] = [r for r in pods(tables, phase="Pending") if r["node_name"] is None]
    assert pending["owner_kind"] == "Job" and dump_at - pending["created_at"] > dt.timedelta(hours=1)
    assert json.loads(pending["raw"])["status"]["conditions"][0]["reason"] == "Unschedulable"

    assert [(r["namespace"], r["name"]) for r in tables["persistentvolumeclaim"] if r["phase"] == "Pending"] == \
        [("data", "scratch-export")]
    pressure = [r for r in tables["node"] if r["disk_pressure"]]
    assert len(pressure) == 1 and pressure[0]["ready"] is True
    assert pressure[0]["internal_ip"] == demo.aws0["prod-eks"].instances[
        demo.facts["instances"]["111111111111/us-east-1/prod-app-1"]]["PrivateIpAddress"]
    assert all(r["ready"] is True and not r["memory_pressure"] and not r["pid_pressure"] for r in tables["node"])
    assert short(tables) == {"deployment:shop/checkout"}
    assert {(r["reason"], r["involved_kind"]) for r in tables["event"] if r["type"] == "Warning"} == {
        ("BackOff", "Pod"), ("Failed", "Pod"), ("Evicted", "Pod"), ("FailedScheduling", "Pod"),
        ("ProvisioningFailed", "PersistentVolumeClaim"), ("EvictionThresholdMet", "Node")}


def test_stg_day0_has_one_not_ready_node_on_a_stopped_instance(demo):
    tables = latest(demo.keys0, demo.objects0, "stg-eks")
    assert unhealthy_pods(tables) == set()
    assert all(r["phase"] == "Bound" for r in tables["persistentvolumeclaim"])
    assert short(tables) == set()
    not_ready = [r for r in tables["node"] if r["ready"] is not True]
    assert len(not_ready) == 1 and not_ready[0]["ready"] is None  # Ready=Unknown
    instance = demo.aws0["stg-eks"].instances[not_ready[0]["instance_id"]]
    assert instance["State"]["Name"] == "stopped"
    assert instance["InstanceId"] == demo.facts["instances"]["222222222222/us-east-1/stg-perf-runner"]
    assert not any(r["disk_pressure"] or r["memory_pressure"] for r in tables["node"])
    assert [r["misscheduled"] for r in tables["daemonset"]] == [1, 1]


# --- day 0: ties to the AWS estate ------------------------------------------------------------------

def test_every_node_is_a_demo_ec2_instance_in_the_clusters_account_and_region(demo):
    for cluster in demo_k8s.CLUSTERS:
        aws = demo.aws0[cluster]
        for row in latest(demo.keys0, demo.objects0, cluster)["node"]:
            instance = aws.instances[row["instance_id"]]  # KeyError: not in this account and region
            assert row["provider_id"] == f"aws:///{instance['Placement']['AvailabilityZone']}/{instance['InstanceId']}"
            assert row["name"] == instance["PrivateDnsName"] and row["name"].endswith(".ec2.internal")
            assert row["internal_ip"] == instance["PrivateIpAddress"]
            assert row["instance_type"] == instance["InstanceType"]
            assert row["zone"] == instance["Placement"]["AvailabilityZone"]
            assert row["instance_id"] in demo.facts["instances"].values()


def test_ingress_hosts_are_route53_records_and_lb_hostnames_are_demo_load_balancers(demo):
    hosts = {}
    for cluster in demo_k8s.CLUSTERS:
        tables = latest(demo.keys0, demo.objects0, cluster)
        aws = demo.aws0[cluster]
        for row in tables["ingress"]:
            hosts[cluster] = row["hosts"]
            assert set(row["hosts"]) <= aws.records
            assert row["load_balancer_hostname"] in aws.lbs
        for row in tables["service"]:
            if row["type"] == "LoadBalancer":
                assert row["load_balancer_hostname"] in aws.lbs
    assert hosts == {"prod-eks": ["www.shop.example.com", "shop.example.com"],
                     "stg-eks": ["www.staging.shop.example.com"]}
    prod = latest(demo.keys0, demo.objects0, "prod-eks")
    assert [r["load_balancer_hostname"].split("-1.")[0] for r in prod["service"] if r["type"] == "LoadBalancer"] == \
        ["prod-api-nlb"]


def test_pod_ips_are_free_addresses_of_their_nodes_subnets(demo):
    import ipaddress

    for cluster in demo_k8s.CLUSTERS:
        aws = demo.aws0[cluster]
        tables = latest(demo.keys0, demo.objects0, cluster)
        nodes = {r["name"]: aws.instances[r["instance_id"]] for r in tables["node"]}
        seen = set()
        for row in tables["pod"]:
            if row["pod_ip"] is None:
                continue
            node = nodes[row["node_name"]]
            assert ipaddress.ip_address(row["pod_ip"]) in ipaddress.ip_network(aws.subnets[node["SubnetId"]])
            if row["pod_ip"] == node["PrivateIpAddress"]:  # hostNetwork DaemonSet pods
                assert row["namespace"] == "kube-system"
                continue
            assert row["pod_ip"] not in aws.enis and row["pod_ip"] not in seen
            seen.add(row["pod_ip"])


# --- days 1 and 2 ---------------------------------------------------------------------------------------

def test_day1_uploads_only_the_clusters_asked_for(demo):
    stamp = DAY1.strftime("%Y%m%d")
    assert demo.keys1 == [f"dumps/cluster=prod-eks/dt={DAY1.isoformat()}/{stamp}T{t}Z.json.gz"
                          for t in ("054500", "060000")]
    assert sorted(demo.listed1) == sorted(demo.keys0 + demo.keys1)
    assert demo_k8s.clusters_for_day(0) == demo_k8s.clusters_for_day(1) == ["prod-eks", "stg-eks"]
    assert demo_k8s.clusters_for_day(2) == ["prod-eks"]


def test_prod_day1_recovers_and_a_new_crash_appears(demo):
    tables = latest(demo.keys1, demo.objects1, "prod-eks")
    assert unhealthy_pods(tables) == {"worker:CrashLoopBackOff", "worker:Evicted"}
    [crash] = pods(tables, waiting_reason="CrashLoopBackOff")
    assert crash["last_termination_reason"] == "Error"
    assert [r["name"] for r in tables["persistentvolumeclaim"] if r["phase"] == "Pending"] == ["scratch-export"]
    assert not any(r["disk_pressure"] for r in tables["node"])
    assert short(tables) == {"deployment:shop/worker"}
    sizes = {r["name"]: (r["desired"], r["ready"]) for r in tables["deployment"]}
    assert sizes["web"] == (4, 4) and sizes["checkout"] == (2, 2)
    assert [(r["active"], r["succeeded"]) for r in tables["job"]] == [(0, 1)]
    app2 = demo.facts["instances"]["111111111111/us-east-1/prod-app-2"]
    assert {r["instance_id"]: r["instance_type"] for r in tables["node"]}[app2] == "m5.xlarge"  # resized on day 1
    assert demo.aws1["prod-eks"].instances[app2]["InstanceType"] == "m5.xlarge"


def test_day2_prod_gains_the_new_worker_node_and_stg_keeps_its_crash(demo):
    prod, stg = demo.day2["prod-eks"], demo.day2["stg-eks"]
    instances = demo.aws2["prod-eks"].instances
    names = {next(t["Value"] for t in instances[r["instance_id"]]["Tags"] if t["Key"] == "Name") for r in prod["node"]}
    assert names == {"prod-app-1", "prod-app-2", "prod-worker-1"}
    # new on day 2: the bare pod data/debug-shell with a mistyped image tag (the digest of what is new lists it)
    assert unhealthy_pods(prod) == {"worker:CrashLoopBackOff", "worker:Evicted", "debug:ImagePullBackOff"}
    assert short(prod) == {"deployment:shop/worker"}
    assert {r["name"]: r["desired"] for r in prod["deployment"]}["checkout"] == 3
    assert unhealthy_pods(stg) == {"checkout:CrashLoopBackOff"}
    assert len(stg["node"]) == 1 and short(stg) == set()


# --- pieces without the emulator --------------------------------------------------------------------------

def test_dump_instants():
    now = dt.datetime(2026, 3, 4, 12, 30, 5, tzinfo=UTC)
    assert demo_k8s.dump_instants(dt.date(2026, 3, 2), now=now) == [
        dt.datetime(2026, 3, 2, 5, 45, tzinfo=UTC), dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)]
    # today: the last dump a minute ago, the one before a dump interval earlier; never in the future
    assert demo_k8s.dump_instants(dt.date(2026, 3, 4), now=now) == [
        dt.datetime(2026, 3, 4, 12, 14, 5, tzinfo=UTC), dt.datetime(2026, 3, 4, 12, 29, 5, tzinfo=UTC)]
    early = dt.datetime(2026, 3, 4, 0, 5, tzinfo=UTC)
    assert [i.date() for i in demo_k8s.dump_instants(dt.date(2026, 3, 4), now=early)] == [dt.date(2026, 3, 4)] * 2
    assert demo_k8s.dump_instants(dt.date(2026, 3, 4), ("01:00:00", "02:00:00", "03:00:00"), now=now)[-1].hour == 3
    with pytest.raises(ValueError, match="future"):
        demo_k8s.dump_instants(dt.date(2026, 3, 4), ("13:00:00",), now=now)
    with pytest.raises(ValueError, match="increasing"):
        demo_k8s.dump_instants(dt.date(2026, 3, 2), ("06:00:00", "05:00:00"), now=now)


def test_demo_clusters_are_the_accounts_files_clusters():
    config = load_accounts(PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml")
    assert {(c.name, c.account_id, c.region) for c in config.clusters} == \
        {(c.name, c.account_id, c.region) for c in demo_k8s.CLUSTERS.values()}


def test_render_is_kubectl_json():
    text = demo_k8s.render({"kind": "List", "apiVersion": "v1", "items": [{"message": "a < b & c > d"}]}).decode()
    assert text == ('{\n    "apiVersion": "v1",\n    "items": [\n        {\n            "message": '
                    '"a \\u003c b \\u0026 c \\u003e d"\n        }\n    ],\n    "kind": "List"\n}\n')
    assert json.loads(text)["items"][0]["message"] == "a < b & c > d"


def test_unknown_cluster_is_refused():
    with pytest.raises(ValueError, match="unknown demo clusters"):
        demo_k8s.upload_dumps("http://127.0.0.1:9", DAY0, 0, dumps_uri=URI, clusters=["nope"])
