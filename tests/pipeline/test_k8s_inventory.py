"""k8s_inventory's work without a scheduler, against the emulator's S3: new dumps in once, bad ones quarantined,
a failed read retried, nothing deleted from the drop box."""
from __future__ import annotations

import gzip
import json
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import boto3
import pyarrow.dataset as ds
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.k8s import ledger
from cloud_inventory.k8s.dropbox import KeyLayoutError, dump_time
from cloud_inventory.lake import Lake
from cloud_inventory.pipeline import k8s_inventory as work
from cloud_inventory.redaction import MARKER

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "k8s" / "parser"
GOOD = (FIXTURES / "cluster.json").read_bytes()
ACCOUNTS = """
accounts:
  - {id: "111111111111", name: prod, role_name: InventoryReadOnly, external_id: ext-1, regions: [us-east-1]}
clusters:
  - {name: prod-eks, account_id: "111111111111", region: us-east-1}
  - {name: stg-eks, account_id: "111111111111", region: eu-west-1, dump_interval_minutes: 5}
"""
PROD = {"name": "prod-eks", "account_id": "111111111111", "region": "us-east-1", "dump_interval_minutes": 15,
        "stale_after_minutes": None}
BAD_INPUTS = {  # fixture -> what the ledger and the quarantine copy must say
    "bad-truncated.json.gz": "truncated gzip",
    "bad-corrupt.json.gz": "corrupt gzip",
    "bad-empty.json": "empty dump",
    "bad-not-k8s.json": "not Kubernetes objects",
    "bad-no-metadata.json": "has no metadata",
    "bad-truncated.json": "truncated or invalid JSON",
}


@pytest.fixture(scope="module")
def emulator():
    with Emulator(in_process=True) as running:
        yield running


@pytest.fixture
def env(emulator, monkeypatch, tmp_path):
    """A fresh drop-box bucket, lake and accounts file per test."""
    bucket = f"dumps-{uuid.uuid4().hex[:10]}"
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(ACCOUNTS)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    monkeypatch.setenv("INVENTORY_DUMPS_URI", f"s3://{bucket}/dumps")
    emulator.set_faults([])
    s3 = boto3.client("s3", endpoint_url=emulator.url, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    yield DropBoxEnv(s3, bucket, Lake(str(tmp_path / "lake")))
    emulator.set_faults([])


class DropBoxEnv:
    def __init__(self, s3, bucket: str, lake: Lake):
        self.s3, self.bucket, self.lake = s3, bucket, lake

    def put(self, cluster: str, stamp: str, body: bytes, name: str | None = None) -> str:
        day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
        key = f"dumps/cluster={cluster}/dt={day}/{name or stamp + '.json.gz'}"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ServerSideEncryption="AES256")
        return key

    def keys(self, prefix: str = "dumps/") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def lake_files(self) -> list[str]:
        root = Path(self.lake.root)
        return sorted(str(path.relative_to(root)) for path in root.glob("raw/k8s/*/*/*/*.parquet"))

    def rows(self, table: str) -> list[dict]:
        files = sorted(Path(self.lake.root).glob(f"raw/k8s/{table}/*/*/*.parquet"))
        return ds.dataset([str(f) for f in files], format="parquet").to_table().to_pylist() if files else []


def ingest(cluster: dict = PROD, run_id: str = "run-1") -> dict:
    return work.ingest_cluster(cluster, inventory_settings.load(), run_id)


def test_new_dumps_land_per_kind_stamped_with_cluster_account_and_dump_time(env):
    env.put("prod-eks", "20261120T080000Z", gzip.compress(GOOD))
    env.put("prod-eks", "20261120T081500Z", GOOD, name="20261120T081500Z.json")  # plain JSON is fine too

    summary = ingest()

    assert summary["processed"] == 2 and not summary["quarantined"] and not summary["failed"]
    files = env.lake_files()
    assert "raw/k8s/pod/dt=2026-11-20/cluster=prod-eks/20261120T080000Z.parquet" in files
    assert "raw/k8s/pod/dt=2026-11-20/cluster=prod-eks/20261120T081500Z.parquet" in files
    assert {f.split("/")[2] for f in files} >= {"pod", "node", "service", "ingress", "persistentvolumeclaim", "event"}
    pods = env.rows("pod")
    assert {(p["cluster"], p["account_id"], p["region"]) for p in pods} == {("prod-eks", "111111111111", "us-east-1")}
    assert {p["dump_at"] for p in pods} == {datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc),
                                           datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc)}
    assert all(p["snapshot_at"] == p["dump_at"] and p["raw"] for p in pods)
    entries = ledger.read_ledger(env.lake, "prod-eks")
    assert [e["status"] for e in entries] == ["ok", "ok"]
    assert entries[0]["table_rows"]["pod"] == len(pods) // 2 and entries[0]["rows"] == summary["rows"] // 2


def test_a_rerun_processes_nothing_again_and_a_new_dump_only_that(env):
    env.put("prod-eks", "20261120T080000Z", gzip.compress(GOOD))
    ingest(run_id="run-1")
    pod_file = Path(env.lake.root) / "raw/k8s/pod/dt=2026-11-20/cluster=prod-eks/20261120T080000Z.parquet"
    written = pod_file.stat().st_mtime_ns

    again = ingest(run_id="run-2")
    assert again["processed"] == 0 and pod_file.stat().st_mtime_ns == written

    env.put("prod-eks", "20261121T000500Z", gzip.compress(GOOD))
    third = ingest(run_id="run-3")
    assert third["processed"] == 1 and pod_file.stat().st_mtime_ns == written
    assert [(e["key"].rsplit("/", 1)[1], e["run_id"]) for e in ledger.read_ledger(env.lake, "prod-eks")] == [
        ("20261120T080000Z.json.gz", "run-1"), ("20261121T000500Z.json.gz", "run-3")]


def test_a_dump_uploaded_again_with_new_content_is_processed_again(env):
    env.put("prod-eks", "20261120T080000Z", gzip.compress(GOOD))
    ingest(run_id="run-1")
    env.put("prod-eks", "20261120T080000Z", GOOD)  # same key, other bytes: another ETag
    assert ingest(run_id="run-2")["processed"] == 1
    assert [e["attempts"] for e in ledger.read_ledger(env.lake, "prod-eks")] == [2]


def test_each_bad_dump_is_quarantined_with_its_reason_while_the_good_ones_land(env):
    bad_keys = {}
    for minute, (fixture, _) in enumerate(BAD_INPUTS.items()):
        stamp = f"20261120T09{minute:02d}00Z"
        name = stamp + (".json.gz" if fixture.endswith(".gz") else ".json")
        bad_keys[env.put("prod-eks", stamp, (FIXTURES / fixture).read_bytes(), name=name)] = fixture
    bad_keys[env.put("prod-eks", "20261120T093000Z", b"{}", name="notes.txt")] = "layout"
    good = env.put("prod-eks", "20261120T100000Z", gzip.compress(GOOD))
    unknown_kind = env.put("prod-eks", "20261120T101500Z", (FIXTURES / "unknown-kind-list.json.gz").read_bytes())

    summary = ingest()

    assert summary["processed"] == 2 and not summary["failed"]
    quarantined = {q["key"]: q for q in summary["quarantined"]}
    assert set(quarantined) == set(bad_keys)
    entries = {e["key"]: e for e in ledger.read_ledger(env.lake, "prod-eks")}
    for key, fixture in bad_keys.items():
        expected = BAD_INPUTS.get(fixture, "does not follow the dump layout")
        assert entries[key]["status"] == "quarantined" and expected in entries[key]["error_message"], key
        copy = key.replace("dumps/", "dumps/quarantine/", 1)
        assert quarantined[key]["quarantine_uri"] == f"s3://{env.bucket}/{copy}"
        head = env.s3.head_object(Bucket=env.bucket, Key=copy)
        assert head["ServerSideEncryption"] == "AES256"
        assert expected in head["Metadata"]["quarantine-reason"] and head["Metadata"]["source-key"] == key
    # nothing deleted from the drop box; the bad dumps left no file in the lake
    assert set(bad_keys) | {good, unknown_kind} <= set(env.keys())
    assert {f.rsplit("/", 1)[1] for f in env.lake_files()} == {"20261120T100000Z.parquet", "20261120T101500Z.parquet"}
    assert [row["kind"] for row in env.rows("other")] == ["VerticalPodAutoscaler"]
    assert ingest(run_id="run-2")["quarantined"] == []  # a quarantined dump is handled: not tried again


def test_a_dump_that_cannot_be_read_now_fails_the_task_after_the_others_and_is_retried(env, emulator):
    first = env.put("prod-eks", "20261120T080000Z", gzip.compress(GOOD))
    env.put("prod-eks", "20261120T081500Z", gzip.compress(GOOD))
    emulator.set_faults([{"service": "s3", "action": "GetObject", "code": "AccessDenied", "status": 403,
                          "message": "Access Denied", "times": 1}])

    with pytest.raises(work.DumpsFailed, match=r"1 of 2 dump\(s\) could not be read.*AccessDenied"):
        ingest(run_id="run-1")

    entries = {e["key"]: e for e in ledger.read_ledger(env.lake, "prod-eks")}
    assert entries[first]["status"] == "failed" and entries[first]["error_class"] == "AccessDenied"
    assert [e["status"] for e in entries.values()].count("ok") == 1
    assert not env.keys("dumps/quarantine/")  # a failed read is not the dump's fault: not quarantined

    retried = ingest(run_id="run-2")
    assert retried["processed"] == 1 and not retried["failed"]
    assert {e["status"] for e in ledger.read_ledger(env.lake, "prod-eks")} == {"ok"}
    assert ledger.read_ledger(env.lake, "prod-eks")[0]["attempts"] == 2


def test_report_sums_the_run_and_names_drop_box_folders_of_unconfigured_clusters(env):
    env.put("prod-eks", "20261120T080000Z", gzip.compress(GOOD))
    env.put("prod-eks", "20261120T081500Z", b"", name="20261120T081500Z.json")
    env.put("old-cluster", "20261120T080000Z", gzip.compress(GOOD))
    ingest(run_id="run-7")

    summary = work.report(inventory_settings.load(), "run-7")

    assert summary["processed"] == 1 and len(summary["quarantined"]) == 1 and not summary["failed"]
    assert summary["unknown_clusters"] == ["old-cluster"]
    assert [c["cluster"] for c in summary["clusters"]] == ["prod-eks", "stg-eks"]
    text = work.format_report(summary)
    assert "1 dump(s) ingested, 1 quarantined, 0 failed" in text and "old-cluster" in text
    assert "empty dump" in text


def test_the_lake_can_be_on_s3(env, monkeypatch):
    env.s3.create_bucket(Bucket=f"{env.bucket}-lake")
    monkeypatch.setenv("INVENTORY_LAKE_URI", f"s3://{env.bucket}-lake/inventory")
    env.put("prod-eks", "20261120T080000Z", gzip.compress(GOOD))

    assert ingest()["processed"] == 1
    lake_keys = [item["Key"] for item in env.s3.list_objects_v2(Bucket=f"{env.bucket}-lake")["Contents"]]
    assert "inventory/raw/k8s/pod/dt=2026-11-20/cluster=prod-eks/20261120T080000Z.parquet" in lake_keys
    assert "inventory/manifests/k8s/cluster=prod-eks/dumps.parquet" in lake_keys
    assert ingest(run_id="run-2")["processed"] == 0


# the pieces --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, problem", [
    ("dumps/cluster=prod-eks/dt=2026-11-20/notes.txt", "does not follow the dump layout"),
    ("dumps/cluster=prod-eks/20261120T080000Z.json.gz", "does not follow the dump layout"),
    ("dumps/cluster=prod-eks/dt=2026-11-21/20261120T080000Z.json.gz", "disagrees with the dump time"),
    ("dumps/cluster=prod-eks/dt=2026-13-40/20261340T080000Z.json.gz", "not a valid UTC time"),
    ("dumps/cluster=other/dt=2026-11-20/20261120T080000Z.json.gz", "does not follow the dump layout"),
])
def test_dump_time_names_the_key_it_cannot_read(key, problem):
    with pytest.raises(KeyLayoutError, match=problem):
        dump_time(key, "prod-eks")


def test_dump_time_reads_the_stamp():
    when = dump_time("dumps/cluster=prod-eks/dt=2026-11-20/20261120T235959Z.json", "prod-eks")
    assert when.at == datetime(2026, 11, 20, 23, 59, 59, tzinfo=timezone.utc) and when.day == date(2026, 11, 20)


def _entry(stamp: str, status: str) -> dict:
    at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return {"key": f"p/cluster=c/dt={at.date()}/{stamp}.json.gz", "status": status, "dump_at": at}


def test_listing_starts_the_day_before_the_newest_handled_dump():
    entries = [_entry("20261101T000000Z", "ok"), _entry("20261120T080000Z", "quarantined")]
    assert ledger.listing_start(entries, "p/cluster=c/") == "p/cluster=c/dt=2026-11-19"
    assert ledger.listing_start([], "p/cluster=c/") is None


def test_listing_starts_before_the_oldest_dump_still_failing():
    entries = [_entry("20261110T080000Z", "failed"), _entry("20261120T080000Z", "ok")]
    assert ledger.listing_start(entries, "p/cluster=c/") == "p/cluster=c/dt=2026-11-09"
    undated = {"key": "p/cluster=c/junk", "status": "failed", "dump_at": None}
    assert ledger.listing_start(entries + [undated], "p/cluster=c/") is None


def test_a_late_upload_into_the_previous_day_is_still_found(env):
    env.put("prod-eks", "20261121T080000Z", gzip.compress(GOOD))
    ingest(run_id="run-1")
    late = env.put("prod-eks", "20261120T235500Z", gzip.compress(GOOD))
    summary = ingest(run_id="run-2")
    assert summary["processed"] == 1 and ledger.handled(ledger.read_ledger(env.lake, "prod-eks"))[late]


# --- secrets ----------------------------------------------------------------------------------------------

POD_SPECS = {"Pod": ("spec",), "Deployment": ("spec", "template", "spec"), "ReplicaSet": ("spec", "template", "spec"),
             "StatefulSet": ("spec", "template", "spec"), "DaemonSet": ("spec", "template", "spec"),
             "Job": ("spec", "template", "spec"), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}


def secret_dump() -> tuple[bytes, list[str]]:
    """A dump (gzipped, kubectl's layout) with a secret in every place redaction.REDACTED names, and text only
    the scrubber's patterns can catch; (dump, every secret value in it)."""
    secrets: list[str] = []

    def secret(where: str) -> str:
        secrets.append(f"sekret-{where}-{len(secrets):02d}")
        return secrets[-1]

    def env(where: str) -> list[dict]:
        return [{"name": "DB_PASSWORD", "value": secret(where)},
                {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}]

    def meta(kind: str) -> dict:
        applied = {"kind": kind, "spec": {"containers": [{"env": [{"name": "DB_PASSWORD", "value": secret("applied")}]}]}}
        return {"name": f"shop-{kind.lower()}", "namespace": "shop", "uid": f"uid-{kind.lower()}",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied),
                                "example.com/owner": "team-shop"}}

    items = []
    for kind, spec_path in POD_SPECS.items():
        obj = {"apiVersion": {"Pod": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1"),
               "kind": kind, "metadata": meta(kind)}
        node = obj
        for key in spec_path[:-1]:
            node = node.setdefault(key, {})
        node[spec_path[-1]] = {"containers": [{"name": "app", "image": "shop:1", "env": env(kind)}],
                               "initContainers": [{"name": "migrate", "image": "shop:1", "env": env(kind + "-init")}],
                               "ephemeralContainers": [{"name": "debug", "image": "busybox", "env": env(kind + "-debug")}]}
        items.append(obj)
    items += [
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta("Secret"), "type": "Opaque",
         "data": {"password": secret("secret-data")}, "stringData": {"token": secret("secret-string")}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("ConfigMap"),
         "data": {"app.properties": f"db.pass={secret('configmap')}"}, "binaryData": {"blob": secret("configmap-bin")}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": meta("Rollout"),
         "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env("rollout")}]}}}},
        {"apiVersion": "v1", "kind": "Event", "metadata": meta("Event"), "type": "Warning", "reason": "Failed",
         "involvedObject": {"kind": "Pod", "name": "shop-pod", "namespace": "shop"},
         "message": f"pull with AKIAPIPELINETEST0001 password={secret('event')} from "
                    f"https://ci:{secret('event-url')}@registry.example.com"},
    ]
    secrets.append("AKIAPIPELINETEST0001")
    document = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return gzip.compress(json.dumps(document, indent=4, sort_keys=True).encode()), secrets


def parquet_text(files: list[Path]) -> list[str]:
    """Every value of every column of every file, read through DuckDB as text (maps and lists included)."""
    import duckdb

    with duckdb.connect() as con:
        return [value for file in files
                for row in con.execute("select cast(columns(*) as varchar) from read_parquet(?)", [str(file)]).fetchall()
                for value in row if value is not None]


def test_a_dump_with_secrets_lands_with_every_secret_redacted_and_the_names_kept(env):
    body, secrets = secret_dump()
    assert all(value.encode() in gzip.decompress(body) for value in secrets)  # the dump has them all
    env.put("prod-eks", "20261120T080000Z", body)

    summary = ingest()

    assert summary["processed"] == 1 and not summary["quarantined"]
    files = sorted(Path(env.lake.root).rglob("*.parquet"))
    texts = parquet_text(files)
    leaks = sorted({value for value in secrets for text in texts if value in text})
    assert not leaks, leaks
    raws = {row["kind"]: json.loads(row["raw"]) for table in ("pod", "deployment", "replicaset", "statefulset",
                                                              "daemonset", "job", "cronjob", "event", "other")
            for row in env.rows(table)}  # json.loads: every scrubbed raw is still JSON
    assert set(raws) == set(POD_SPECS) | {"Secret", "ConfigMap", "Rollout", "Event"}
    for kind, spec_path in POD_SPECS.items():
        spec = raws[kind]
        for key in spec_path:
            spec = spec[key]
        for containers in ("containers", "initContainers", "ephemeralContainers"):
            assert spec[containers][0]["env"] == [
                {"name": "DB_PASSWORD", "value": MARKER},
                {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}], (kind, containers)
    assert {raws[kind]["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            for kind in raws} == {MARKER}
    assert raws["Secret"]["data"] == {"password": MARKER} and raws["ConfigMap"]["binaryData"] == {"blob": MARKER}
    assert raws["Event"]["message"] == (f"pull with AKIA{MARKER} password={MARKER} from "
                                        f"https://ci:{MARKER}@registry.example.com")
