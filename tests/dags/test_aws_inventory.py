"""aws_inventory end to end: the real Airflow runs the DAG (`dag.test()`) against the emulator's moto server
seeded with the three-account demo estate, and we read what it left in the lake and the manifests."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pyarrow.dataset as ds
import pytest
import yaml

from cloud_inventory.aws.registry import REGISTRY, types_for
from cloud_inventory.demo import estate
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import read_manifests
from tests.dags.support import asset_event_extras, asset_events

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_ACCOUNTS_FILE = PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
TYPES_PER_PAIR = {"regional": len(types_for("regional")), "global": len(types_for("global"))}


@pytest.fixture(scope="module")
def emulator():
    with Emulator(seed_demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag("aws_inventory")


@pytest.fixture
def estate_env(emulator, monkeypatch, tmp_path):
    emulator.set_faults([])
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(DEMO_ACCOUNTS_FILE))
    yield tmp_path
    emulator.set_faults([])


def today_midnight() -> datetime:
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def run(dag, logical_date: datetime):
    dag_run = dag.test(logical_date=logical_date)
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    return dag_run, states


def lake_rows(lake_dir: Path, day: str):
    files = sorted((lake_dir / "raw" / "aws").glob(f"*/dt={day}/*/*/*.parquet"))
    return ds.dataset([str(f) for f in files], format="parquet").to_table().to_pylist(), files


def assumed_ec2(emulator, account_id: str, region: str):
    return estate.assumed_session(emulator.url, account_id, region).client("ec2", endpoint_url=emulator.url)


def test_daily_run_captures_every_account_region_and_type(dag, emulator, estate_env):
    logical_date = today_midnight()
    day = logical_date.date()
    dag_run, states = run(dag, logical_date)

    assert dag_run.state == "success", states
    extracts = {ti.rendered_map_index: ti.state for ti in dag_run.get_task_instances() if ti.task_id == "extract"}
    assert extracts == {"prod 111111111111": "success", "staging 222222222222": "success", "dev 333333333333": "success"}

    manifest = read_manifests(Lake(str(estate_env / "lake")), day).to_pylist()
    expected = {(account, region, entry.name) for account in estate.DEMO_ACCOUNTS for region in estate.DEMO_REGIONS
                for entry in types_for("regional")}
    expected |= {(account, "global", entry.name) for account in estate.DEMO_ACCOUNTS for entry in types_for("global")}
    assert {(r["account_id"], r["region"], r["resource_type"]) for r in manifest} == expected
    assert {r["status"] for r in manifest} == {"ok"}
    # Every list call costs at least one request; child and metric types cost none when there is no parent, nor
    # the instance type catalog when no instance type is in use (dev eu-west-1).
    assert all(r["api_calls"] >= 1 for r in manifest
               if r["resource_type"] not in ("eks_nodegroup", "route53_record", "ec2_instance_type")
               and not r["resource_type"].endswith("_metric"))

    rows, files = lake_rows(estate_env / "lake", day.isoformat())
    # Layout: raw/aws/<type>/dt=<day>/account_id=<id>/region=<region>/part-0.parquet, one file per partition.
    for path in files:
        resource_type, dt, account, region, name = path.relative_to(estate_env / "lake" / "raw" / "aws").parts
        assert (dt, name) == (f"dt={day}", "part-0.parquet")
        assert (account.removeprefix("account_id="), region.removeprefix("region="), resource_type) in expected
    assert len(files) == len(expected)

    # What the lake holds for instances is exactly what EC2 answers, per account and region.
    for account in estate.DEMO_ACCOUNTS:
        for region in estate.DEMO_REGIONS:
            described = assumed_ec2(emulator, account, region).describe_instances()
            want = {i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]}
            got = {r["resource_id"] for r in rows if r["resource_type"] == "ec2_instance"
                   and r["account_id"] == account and r["region"] == region}
            assert got == want, (account, region)

    by_type = Counter(r["resource_type"] for r in rows)
    assert {entry.name for entry in REGISTRY} <= set(by_type), "every resource type captured somewhere"
    buckets = [r for r in rows if r["resource_type"] == "s3_bucket"]
    assert {b["region"] for b in buckets} == set(estate.DEMO_REGIONS)  # global type, rows carry the bucket's region
    instance = next(r for r in rows if r["resource_type"] == "ec2_instance" and r["name"])
    assert instance["arn"].startswith(f"arn:aws:ec2:{instance['region']}:{instance['account_id']}:instance/i-")
    assert instance["snapshot_at"].date() == datetime.now(timezone.utc).date()
    assert '"InstanceId"' in instance["raw"]


def test_rerun_of_the_same_date_replaces_partitions_without_duplicates(dag, estate_env):
    logical_date = today_midnight()
    first, _ = run(dag, logical_date)
    rows_before, files_before = lake_rows(estate_env / "lake", logical_date.date().isoformat())
    second, _ = run(dag, logical_date)
    rows_after, files_after = lake_rows(estate_env / "lake", logical_date.date().isoformat())

    assert first.state == second.state == "success"
    assert files_after == files_before
    # raw is left out: some API fields are "now" (SSM LastPingDateTime, RDS LatestRestorableTime).
    identity = lambda r: (r["account_id"], r["region"], r["resource_type"], r["resource_id"], r["arn"],  # noqa: E731
                          r["name"], r["state"], tuple(sorted(r["tags"])), r["created_at"])
    metric_free = lambda rows: [identity(r) for r in rows if not r["resource_type"].endswith("_metric")]  # noqa: E731
    assert Counter(metric_free(rows_after)) == Counter(metric_free(rows_before))
    keys = [(r["account_id"], r["region"], r["resource_type"], r["resource_id"]) for r in rows_after
            if not r["resource_type"].endswith("_metric")]
    assert len(keys) == len(set(keys)), "no resource twice in one date"
    assert {r["run_id"] for r in rows_after} == {second.run_id}
    manifest = read_manifests(Lake(str(estate_env / "lake")), logical_date.date()).to_pylist()
    assert {r["run_id"] for r in manifest} == {second.run_id}


def test_denied_type_and_unassumable_account_are_recorded_and_the_rest_is_whole(dag, emulator, estate_env):
    emulator.set_faults([
        {"account_id": estate.PROD, "service": "rds", "code": "AccessDenied", "status": 403,
         "message": "not authorized to perform rds:Describe*"},
        {"account_id": estate.DEV, "service": "sts", "action": "AssumeRole", "code": "AccessDenied", "status": 403,
         "message": "not authorized to perform sts:AssumeRole"},
    ])
    logical_date = today_midnight()
    dag_run, states = run(dag, logical_date)

    assert dag_run.state == "failed"  # the run says something was not captured
    extract_states = Counter(state for (task, _), state in states.items() if task == "extract")
    assert extract_states == {"success": 2, "failed": 1}  # dev's task: its two regions and its global types
    assert states[("publish_lake", -1)] == "success"  # the marts still rebuild from what was captured
    assert asset_events(dag_run, "cloud_inventory_lake_aws") == ["publish_lake"]
    assert states[("report", -1)] == "failed"
    # the event says what this run wrote, and what it could not (the Assets page shows it)
    (event,) = asset_event_extras(dag_run, "cloud_inventory_lake_aws")
    pairs = 2 * TYPES_PER_PAIR["regional"] + TYPES_PER_PAIR["global"]  # (region, type) extractions per account
    prod_denied = 4 * len(estate.DEMO_REGIONS)  # the RDS types below, in each region
    rows, _ = lake_rows(estate_env / "lake", logical_date.date().isoformat())
    assert event == {
        "snapshot_date": logical_date.date().isoformat(), "run_id": dag_run.run_id, "rows": len(rows),
        "outcomes": {"denied": prod_denied, "failed": pairs, "ok": 2 * pairs - prod_denied},
        "accounts": {estate.PROD: {"denied": prod_denied, "ok": pairs - prod_denied}, estate.STAGING: {"ok": pairs},
                     estate.DEV: {"failed": pairs}},
        "regions": sorted([*estate.DEMO_REGIONS, "global"]), "resource_types": len(REGISTRY)}

    manifest = read_manifests(Lake(str(estate_env / "lake")), logical_date.date()).to_pylist()
    by_account = {account: [r for r in manifest if r["account_id"] == account] for account in estate.DEMO_ACCOUNTS}
    assert {r["status"] for r in by_account[estate.STAGING]} == {"ok"}
    assert len(by_account[estate.STAGING]) == 2 * TYPES_PER_PAIR["regional"] + TYPES_PER_PAIR["global"]
    # RDS statistics need the RDS instance ids, so they are denied with them; EC2 statistics are not.
    prod_denied = {(r["region"], r["resource_type"]) for r in by_account[estate.PROD] if r["status"] == "denied"}
    assert prod_denied == {(region, t) for region in estate.DEMO_REGIONS
                           for t in ("rds_instance", "rds_cluster", "rds_snapshot", "rds_instance_metric")}
    assert {r["status"] for r in by_account[estate.PROD] if not r["resource_type"].startswith("rds_")} == {"ok"}
    assert {(r["status"], r["error_class"]) for r in by_account[estate.DEV]} == {("failed", "AssumeRole.AccessDenied")}
    assert len(by_account[estate.DEV]) == 2 * TYPES_PER_PAIR["regional"] + TYPES_PER_PAIR["global"]

    rows, _ = lake_rows(estate_env / "lake", logical_date.date().isoformat())
    assert not [r for r in rows if r["account_id"] == estate.DEV], "nothing written for the account we could not enter"
    assert not [r for r in rows if r["account_id"] == estate.PROD and r["resource_type"].startswith("rds_")]
    assert {r["resource_type"] for r in rows if r["account_id"] == estate.PROD} >= {
        "ec2_instance", "ec2_instance_metric", "s3_bucket"}


def test_lake_on_s3(dag, emulator, estate_env, monkeypatch):
    bucket = "inventory-lake-test"
    boto3.client("s3", endpoint_url=emulator.url).create_bucket(Bucket=bucket)
    accounts = estate_env / "accounts.yaml"
    accounts.write_text(yaml.safe_dump({
        "defaults": {"role_name": estate.DEMO_ROLE_NAME, "external_id": estate.DEMO_EXTERNAL_ID},
        "accounts": [{"id": estate.STAGING, "name": "staging", "regions": ["us-east-1"]}]}))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    monkeypatch.setenv("INVENTORY_LAKE_URI", f"s3://{bucket}/lake")
    logical_date = today_midnight()

    dag_run, states = run(dag, logical_date)

    assert dag_run.state == "success", states
    lake = Lake(f"s3://{bucket}/lake")
    manifest = read_manifests(lake, logical_date.date()).to_pylist()
    assert len(manifest) == TYPES_PER_PAIR["regional"] + TYPES_PER_PAIR["global"]
    assert {r["status"] for r in manifest} == {"ok"}
    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=emulator.url)
            .list_objects_v2(Bucket=bucket, Prefix="lake/raw/aws/ec2_instance/")["Contents"]]
    assert keys == [f"lake/raw/aws/ec2_instance/_written/dt={logical_date.date()}",  # the date's written marker
                    f"lake/raw/aws/ec2_instance/dt={logical_date.date()}/account_id={estate.STAGING}/"
                    f"region=us-east-1/part-0.parquet"]
    table = ds.dataset(lake.path("raw", "aws", "ec2_instance"), filesystem=lake.fs, format="parquet").to_table()
    assert table.num_rows == 4 and set(table.column("account_id").to_pylist()) == {estate.STAGING}
    assert not (estate_env / "lake").exists(), "nothing written locally when the lake is on S3"


def test_old_logical_date_is_refused_and_writes_nothing(dag, estate_env):
    logical_date = today_midnight() - timedelta(days=3)
    dag_run, states = run(dag, logical_date)

    assert dag_run.state == "failed"
    assert states[("plan", -1)] == "failed"
    assert (states[("report", -1)], states[("publish_lake", -1)]) == ("failed", "skipped")
    assert asset_events(dag_run, "cloud_inventory_lake_aws") == []  # nothing written: the marts are not woken
    assert not (estate_env / "lake" / "raw").exists()


def test_invalid_accounts_file_stops_the_run_before_any_api_call(dag, emulator, estate_env, monkeypatch, capfd):
    """One clear failure: validate_config says what is wrong, report says the run failed because of it (no
    TypeError from the plan that never ran), publish_lake marks nothing (nothing was written)."""
    accounts = estate_env / "accounts.yaml"
    accounts.write_text(yaml.safe_dump({"accounts": [
        {"id": "12345", "name": "short", "role_arn": "arn:aws:iam::12345:role/x", "external_id": "ext-1"},
        {"id": estate.PROD, "name": "prod", "role_name": "R", "external_id": "ext-1", "regions": ["us-east-9"]}]}))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    emulator.reset_stats()
    capfd.readouterr()

    dag_run, states = run(dag, today_midnight())

    assert dag_run.state == "failed"
    assert states == {("validate_config", -1): "failed", ("plan", -1): "upstream_failed",
                      ("extract", -1): "upstream_failed", ("publish_lake", -1): "skipped", ("report", -1): "failed"}
    logs = "".join(capfd.readouterr())
    assert "the run failed because the accounts file is invalid, so nothing was extracted and the lake was not " \
           f"touched. {accounts}: 3 problem(s) in the accounts file:" in logs
    assert "accounts[1] (111111111111).regions[0]: unknown region 'us-east-9'" in logs
    assert "the accounts file is invalid: nothing was written, so the lake is not marked" in logs
    assert "TypeError" not in logs and "NoneType" not in logs
    assert asset_events(dag_run, "cloud_inventory_lake_aws") == []
    assert emulator.stats()["total"] == 0
    assert not (estate_env / "lake").exists()


def retrying_dag(monkeypatch, estate_env, regions: list[str]):
    """The DAG with one Airflow retry, no delay, on prod alone in `regions`."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("INVENTORY_TASK_RETRIES", "1")  # read when the DAG file is parsed
    monkeypatch.setenv("INVENTORY_RETRY_DELAY_SECONDS", "0")
    accounts = estate_env / "accounts.yaml"
    accounts.write_text(yaml.safe_dump({
        "defaults": {"role_name": estate.DEMO_ROLE_NAME, "external_id": estate.DEMO_EXTERNAL_ID},
        "accounts": [{"id": estate.PROD, "name": "prod", "regions": regions}]}))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    return DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag("aws_inventory")


def test_throttling_is_retried_by_botocore_then_by_airflow_and_nothing_is_lost(airflow_db, emulator, estate_env,
                                                                               monkeypatch):
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "3")
    dag = retrying_dag(monkeypatch, estate_env, ["us-east-1"])
    # Four throttled answers: botocore's three attempts on the first try, one more on Airflow's retry.
    emulator.set_faults([{"account_id": estate.PROD, "service": "ec2", "action": "DescribeInstances",
                          "code": "Throttling", "message": "Rate exceeded", "status": 400, "times": 4}])
    logical_date = today_midnight()

    dag_run = dag.test(logical_date=logical_date)

    assert dag_run.state == "success"
    (extract,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == "extract"]
    assert extract.try_number == 2
    manifest = read_manifests(Lake(str(estate_env / "lake")), logical_date.date()).to_pylist()
    instances = next(r for r in manifest if r["resource_type"] == "ec2_instance")
    assert (instances["status"], instances["api_calls"]) == ("ok", 2)  # one throttled, one answered
    rows, _ = lake_rows(estate_env / "lake", logical_date.date().isoformat())
    described = assumed_ec2(emulator, estate.PROD, "us-east-1").describe_instances()
    assert {r["resource_id"] for r in rows if r["resource_type"] == "ec2_instance"} == {
        i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]}


def test_one_failing_region_inside_an_accounts_task_is_retried_alone(airflow_db, emulator, estate_env, monkeypatch,
                                                                      caplog):
    """eu-west-1's instances fail on the first try (both of botocore's attempts): the task fails, Airflow retries it,
    and the retry extracts eu-west-1 alone; us-east-1 and the global types stay as the first try wrote them."""
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "2")
    dag = retrying_dag(monkeypatch, estate_env, ["us-east-1", "eu-west-1"])
    emulator.set_faults([{"account_id": estate.PROD, "region": "eu-west-1", "service": "ec2",
                          "action": "DescribeInstances", "code": "InternalError", "status": 500, "times": 2}])
    emulator.reset_stats()
    caplog.set_level("INFO", logger="cloud_inventory.pipeline.aws_inventory")
    logical_date = today_midnight()

    dag_run = dag.test(logical_date=logical_date)

    assert dag_run.state == "success"
    (extract,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == "extract"]
    assert extract.try_number == 2
    stats = emulator.stats()["by_action"]
    # one role per try; instances listed in both regions on the first try (eu-west-1 twice), in eu-west-1 on the
    # second; S3 (global) listed on the first try only
    assert stats["sts:AssumeRole"] == 2
    assert stats["ec2:DescribeInstances"] == 1 + 2 + 1
    assert stats["s3:ListBuckets"] == 1
    assert "kept 2 region(s) this run already extracted without a failure: us-east-1, global; extracting 1: " \
           "eu-west-1" in caplog.text

    manifest = read_manifests(Lake(str(estate_env / "lake")), logical_date.date()).to_pylist()
    assert {r["run_id"] for r in manifest} == {dag_run.run_id} and {r["status"] for r in manifest} == {"ok"}
    by_region = {region: [r for r in manifest if r["region"] == region] for region in ("us-east-1", "eu-west-1",
                                                                                        "global")}
    retried_at = min(r["started_at"] for r in by_region["eu-west-1"])
    assert max(r["finished_at"] for r in by_region["us-east-1"] + by_region["global"]) < retried_at
    _, files = lake_rows(estate_env / "lake", logical_date.date().isoformat())
    kept_files = [f for f in files if "region=eu-west-1" not in str(f)]
    assert kept_files and all(datetime.fromtimestamp(f.stat().st_mtime, timezone.utc) < retried_at
                              for f in kept_files)
    assert all(datetime.fromtimestamp(f.stat().st_mtime, timezone.utc) > retried_at
               for f in files if "region=eu-west-1" in str(f))
