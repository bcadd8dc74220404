"""k8s_inventory end to end: the real Airflow runs the DAG (`dag.test()`) against the emulator's S3 (a moto
server): dumps uploaded by the real bastion script land once, a rerun processes nothing again, and each
kind of bad dump is quarantined while the good ones land."""
from __future__ import annotations

import gzip
import uuid
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest

from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.demo.k8s import Bastion
from cloud_inventory.k8s.ledger import read_ledger
from cloud_inventory.lake import Lake
from tests.dags.support import asset_event_extras, asset_events

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_ROOT / "tests" / "data" / "k8s"
DEMO_ACCOUNTS_FILE = PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
BAD = ["bad-truncated.json.gz", "bad-corrupt.json.gz", "bad-empty.json", "bad-not-k8s.json",
       "bad-no-metadata.json", "bad-truncated.json"]
# The limits the next test runs with (settings, as an operator sets them), and a dump past each, gzipped.
LIMITS = {"INVENTORY_K8S_DUMP_MAX_WHITESPACE": "4KiB", "INVENTORY_K8S_DUMP_MAX_STRING_SIZE": "64KiB",
          "INVENTORY_K8S_DUMP_MAX_ITEM_SIZE": "256KiB", "INVENTORY_K8S_DUMP_MAX_SIZE": "1MiB"}


def _pods(*specs: bytes) -> bytes:
    pods = [b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%d"}, "spec": %s}' % (i, spec)
            for i, spec in enumerate(specs)]
    return gzip.compress(b'{"apiVersion": "v1", "kind": "List", "items": [' + b", ".join(pods) + b"]}")


HOSTILE = {  # the dump, and what its ledgered reason says
    "nested": (_pods(b'{"a":' * 100_000 + b"1" + b"}" * 100_000), "100 levels of nesting"),
    "whitespace": (_pods(b"{}", b" " * 200_000 + b"{}"), "4,096 bytes of whitespace in a row"),
    "string": (_pods(b'"' + b"x" * 100_000 + b'"'), "65,536 bytes in one string"),
    "item": (_pods(b"{" + b", ".join(b'"k%d": 1' % i for i in range(60_000)) + b"}"), "262,144 bytes in one item"),
    "size": (_pods(*[b"{}"] * 20_000), "1,048,576 bytes of JSON in one dump"),
}


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag("k8s_inventory")


@pytest.fixture
def dropbox(emulator, monkeypatch, tmp_path):
    bucket = f"dumps-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(DEMO_ACCOUNTS_FILE))
    monkeypatch.setenv("INVENTORY_DUMPS_URI", f"s3://{bucket}/dumps")
    s3 = boto3.client("s3", endpoint_url=emulator.url, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    return s3, bucket, tmp_path


def bastion_upload(emulator: Emulator, cluster: str, uri: str) -> str:
    """Run include/bastion/k8s-dump.sh for real: a stand-in kubectl printing the fixture, the real AWS CLI."""
    with Bastion(emulator.url) as bastion:
        key = bastion.upload(cluster, uri, (FIXTURES / "dump-list.json").read_bytes(), datetime.now(timezone.utc))
    return f"s3://{uri[len('s3://'):].split('/')[0]}/{key}"


def run(dag):
    dag_run = dag.test(logical_date=datetime.now(timezone.utc))
    return dag_run, {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}


def test_dumps_land_once_and_a_rerun_processes_nothing_again(dag, emulator, dropbox):
    s3, bucket, data_dir = dropbox
    uploaded = [bastion_upload(emulator, cluster, f"s3://{bucket}/dumps") for cluster in ("prod-eks", "stg-eks")]

    dag_run, states = run(dag)

    assert dag_run.state == "success", states
    assert states[("publish_lake", -1)] == "success" and sorted(s for (t, _), s in states.items() if t == "ingest") == [
        "success", "success"]
    assert asset_events(dag_run, "cloud_inventory_lake_k8s") == ["publish_lake"]
    lake = Lake(str(data_dir / "lake"))
    landed = {}
    for cluster, uri in zip(("prod-eks", "stg-eks"), uploaded):
        (entry,) = read_ledger(lake, cluster)
        assert f"s3://{bucket}/{entry['key']}" == uri and entry["status"] == "ok" and entry["rows"] > 0
        stamp = uri.rsplit("/", 1)[1].split(".")[0]
        day = entry["dump_at"].date().isoformat()
        assert (data_dir / f"lake/raw/k8s/pod/dt={day}/cluster={cluster}/{stamp}.parquet").exists()
        landed[cluster] = {"dumps": 1, "rows": entry["rows"], "latest_dump_at": entry["dump_at"].isoformat()}
    # the event says which dumps landed (the Assets page shows it)
    assert asset_event_extras(dag_run, "cloud_inventory_lake_k8s") == [{
        "run_id": dag_run.run_id, "dumps": 2, "rows": sum(c["rows"] for c in landed.values()),
        "snapshot_dates": sorted({c["latest_dump_at"][:10] for c in landed.values()}), "clusters": landed,
        "quarantined": 0}]

    files_before = {p: p.stat().st_mtime_ns for p in (data_dir / "lake" / "raw").rglob("*.parquet")}
    dag_run, states = run(dag)
    assert dag_run.state == "success", states
    assert states[("publish_lake", -1)] == "skipped"  # nothing new: the marts are not woken
    assert asset_events(dag_run, "cloud_inventory_lake_k8s") == []
    assert {p: p.stat().st_mtime_ns for p in (data_dir / "lake" / "raw").rglob("*.parquet")} == files_before
    assert [len(read_ledger(lake, c)) for c in ("prod-eks", "stg-eks")] == [1, 1]


def test_bad_and_hostile_dumps_are_quarantined_while_the_good_ones_land(dag, emulator, dropbox, monkeypatch):
    s3, bucket, data_dir = dropbox
    for variable, value in LIMITS.items():
        monkeypatch.setenv(variable, value)
    for minute, fixture in enumerate(BAD):
        name = f"20261120T08{minute:02d}00Z.json" + (".gz" if fixture.endswith(".gz") else "")
        s3.put_object(Bucket=bucket, Key=f"dumps/cluster=prod-eks/dt=2026-11-20/{name}",
                      Body=(FIXTURES / "parser" / fixture).read_bytes())
    for minute, (body, _) in enumerate(HOSTILE.values(), start=30):
        s3.put_object(Bucket=bucket, Key=f"dumps/cluster=prod-eks/dt=2026-11-20/20261120T08{minute}00Z.json.gz",
                      Body=body)
    s3.put_object(Bucket=bucket, Key="dumps/cluster=prod-eks/dt=2026-11-20/20261120T090000Z.json.gz",
                  Body=gzip.compress((FIXTURES / "dump-list.json").read_bytes()))
    s3.put_object(Bucket=bucket, Key="dumps/cluster=stg-eks/dt=2026-11-20/20261120T090000Z.json.gz",
                  Body=(FIXTURES / "parser" / "unknown-kind-list.json.gz").read_bytes())
    drop_box_before = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])

    dag_run, states = run(dag)

    assert dag_run.state == "success", states  # quarantine is the handling, not a failure
    lake = Lake(str(data_dir / "lake"))
    ledger = {e["key"].rsplit("/", 1)[1]: e for e in read_ledger(lake, "prod-eks")}
    statuses = {name: entry["status"] for name, entry in ledger.items()}
    assert sorted(statuses.values()) == ["ok"] + ["quarantined"] * (len(BAD) + len(HOSTILE))
    assert statuses["20261120T090000Z.json.gz"] == "ok"
    for minute, (_, words) in enumerate(HOSTILE.values(), start=30):
        entry = ledger[f"20261120T08{minute}00Z.json.gz"]
        assert words in entry["error_message"] and "at byte" in entry["error_message"], entry["error_message"]
        assert entry["quarantine_uri"].endswith(f"quarantine/cluster=prod-eks/dt=2026-11-20/20261120T08{minute}00Z.json.gz")
    assert [e["status"] for e in read_ledger(lake, "stg-eks")] == ["ok"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    quarantined = [k for k in keys if k.startswith("dumps/quarantine/")]
    assert len(quarantined) == len(BAD) + len(HOSTILE) and set(drop_box_before) <= set(keys)  # copied, never moved or deleted
    assert (data_dir / "lake/raw/k8s/other/dt=2026-11-20/cluster=stg-eks/20261120T090000Z.parquet").exists()


def test_a_dump_that_cannot_be_read_fails_the_run_after_the_other_clusters_land(dag, emulator, dropbox):
    s3, bucket, data_dir = dropbox
    body = gzip.compress((FIXTURES / "dump-list.json").read_bytes())
    for cluster in ("prod-eks", "stg-eks"):
        s3.put_object(Bucket=bucket, Key=f"dumps/cluster={cluster}/dt=2026-11-20/20261120T090000Z.json.gz", Body=body)
    emulator.set_faults([{"service": "s3", "action": "GetObject", "code": "AccessDenied", "status": 403,
                          "message": "Access Denied", "times": 1}])
    try:
        dag_run, states = run(dag)
    finally:
        emulator.set_faults([])

    assert dag_run.state == "failed"
    assert sorted(s for (t, _), s in states.items() if t == "ingest") == ["failed", "success"]
    assert states[("report", -1)] == "failed" and states[("publish_lake", -1)] == "success"
    lake = Lake(str(data_dir / "lake"))
    assert sorted(e["status"] for c in ("prod-eks", "stg-eks") for e in read_ledger(lake, c)) == ["failed", "ok"]
    assert not [o for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if "quarantine/" in o["Key"]]

    dag_run, states = run(dag)  # the next run picks the failed dump up
    assert dag_run.state == "success", states
    assert sorted(e["status"] for c in ("prod-eks", "stg-eks") for e in read_ledger(lake, c)) == ["ok", "ok"]


def test_an_invalid_accounts_file_is_one_clear_failure_and_marks_nothing(dag, emulator, dropbox, monkeypatch, capfd):
    """validate_config says what is wrong, report says the run failed because of it (not the validator's exception
    again, raised by its own reading of the file), publish_lake is skipped: no dump was read, nothing written."""
    s3, bucket, data_dir = dropbox
    bastion_upload(emulator, "prod-eks", f"s3://{bucket}/dumps")
    accounts = data_dir / "accounts.yaml"
    accounts.write_text(DEMO_ACCOUNTS_FILE.read_text().replace("dump_interval_minutes: 15", "dump_interval_minutes: 0"))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    capfd.readouterr()

    dag_run, states = run(dag)

    assert dag_run.state == "failed"
    assert states == {("validate_config", -1): "failed", ("ingest", -1): "upstream_failed",
                      ("publish_lake", -1): "skipped", ("report", -1): "failed"}
    logs = "".join(capfd.readouterr())
    assert "the run failed because the accounts file is invalid, so nothing was extracted and the lake was not " \
           f"touched. {accounts}: 2 problem(s) in the accounts file:" in logs
    assert "clusters[0] (prod-eks).dump_interval_minutes: 0 must be a whole number of minutes, at least 1" in logs
    assert "AccountsConfigError" not in logs and "TypeError" not in logs  # no crash on the file in report or publish_lake
    assert asset_events(dag_run, "cloud_inventory_lake_k8s") == []
    assert not (data_dir / "lake").exists()
