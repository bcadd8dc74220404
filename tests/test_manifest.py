"""manifest.py: one row per resource type for every outcome, read back by date."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from cloud_inventory.lake import Lake
from cloud_inventory.manifest import MANIFEST_SCHEMA, STATUSES, Outcome, read_manifests, write_manifest

DAY = date(2025, 3, 14)


@pytest.fixture
def lake(tmp_path):
    return Lake(str(tmp_path / "lake"))


def outcomes() -> list[Outcome]:
    ok = Outcome("ec2_instance", rows=12, api_calls=3, path="/lake/raw/aws/ec2_instance/part-0.parquet")
    ok.finish("ok")
    empty = Outcome("nat_gateway", api_calls=1)
    empty.finish("ok")
    denied = Outcome("rds_instance", api_calls=1)
    denied.finish("denied", "AccessDenied", "not authorized to perform rds:DescribeDBInstances")
    failed = Outcome("elbv2_load_balancer", api_calls=10)
    failed.finish("failed", "Throttling", "Rate exceeded")
    return [ok, empty, denied, failed]


def write(lake, day=DAY, account_id="123456789012", region="eu-west-1", items=None, run_id="run-1"):
    return write_manifest(lake, snapshot_date=day, run_id=run_id, account_id=account_id, account_name="prod",
                          region=region, outcomes=outcomes() if items is None else items)


def test_outcome_finish():
    outcome = Outcome("vpc", started_at=datetime.now(timezone.utc) - timedelta(seconds=2))
    outcome.finish("denied", "AuthFailure", "region not enabled")
    assert (outcome.status, outcome.error_class, outcome.error_message) == ("denied", "AuthFailure",
                                                                            "region not enabled")
    assert outcome.finished_at >= outcome.started_at and outcome.seconds >= 2
    with pytest.raises(AssertionError):
        Outcome("vpc").finish("skipped")
    assert STATUSES == ("ok", "denied", "failed")


def test_written_for_every_outcome_and_read_back(lake):
    path = write(lake)
    assert path == lake.aws_manifest(DAY, "123456789012", "eu-west-1")
    assert pq.read_schema(path).equals(MANIFEST_SCHEMA)
    table = read_manifests(lake, DAY)
    records = {r["resource_type"]: r for r in table.to_pylist()}
    assert set(records) == {"ec2_instance", "nat_gateway", "rds_instance", "elbv2_load_balancer"}
    assert {t: r["status"] for t, r in records.items()} == {
        "ec2_instance": "ok", "nat_gateway": "ok", "rds_instance": "denied", "elbv2_load_balancer": "failed"}
    ec2 = records["ec2_instance"]
    assert (ec2["rows"], ec2["api_calls"], ec2["path"]) == (12, 3, "/lake/raw/aws/ec2_instance/part-0.parquet")
    assert (ec2["snapshot_date"], ec2["run_id"], ec2["account_id"], ec2["account_name"], ec2["region"]) == (
        DAY, "run-1", "123456789012", "prod", "eu-west-1")
    assert ec2["error_class"] is None and ec2["finished_at"] >= ec2["started_at"]
    assert records["nat_gateway"]["rows"] == 0 and records["nat_gateway"]["status"] == "ok"  # none exist
    assert records["rds_instance"]["error_class"] == "AccessDenied"
    assert records["elbv2_load_balancer"]["error_message"] == "Rate exceeded"


def test_read_by_date_across_accounts_and_regions(lake):
    write(lake)
    write(lake, region="global")
    write(lake, account_id="210987654321", items=outcomes()[:1])
    write(lake, day=DAY + timedelta(days=1), items=outcomes()[:2])
    table = read_manifests(lake, DAY)
    assert table.num_rows == 4 + 4 + 1
    assert set(table.column("snapshot_date").to_pylist()) == {DAY}
    assert set(zip(table.column("account_id").to_pylist(), table.column("region").to_pylist())) == {
        ("123456789012", "eu-west-1"), ("123456789012", "global"), ("210987654321", "eu-west-1")}
    assert read_manifests(lake, DAY + timedelta(days=1)).num_rows == 2


def test_no_manifest_is_an_empty_table(lake):
    table = read_manifests(lake, DAY)
    assert table.num_rows == 0 and table.schema.equals(MANIFEST_SCHEMA)


def test_rerun_replaces_the_pairs_manifest(lake):
    write(lake, run_id="first")
    again = Outcome("ec2_instance", rows=1)
    again.finish("ok")
    write(lake, run_id="second", items=[again])
    table = read_manifests(lake, DAY)
    assert table.to_pylist()[0]["run_id"] == "second" and table.num_rows == 1


def test_a_pair_with_no_types_still_has_a_manifest(lake):
    write(lake, items=[])
    assert lake.exists(lake.aws_manifest(DAY, "123456789012", "eu-west-1"))
    assert read_manifests(lake, DAY).num_rows == 0
