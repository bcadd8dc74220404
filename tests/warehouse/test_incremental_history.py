"""History built a day at a time equals history built whole.

A small estate (EBS volumes, EC2 instances, security groups in two regions, S3 buckets as a global type)
lives through random days: resources created, modified, terminated, deleted and re-created under the same
id; sources denied or failing for a day or several; earlier days rerun with another outcome. After every
step the warehouse is built incrementally (the daily case) and, apart, as a full refresh: the events,
versions, inventory_history and resource_changes must be the same rows.
"""
from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.aws.registry import BY_NAME
from cloud_inventory.aws.transform import AWS_SCHEMA, to_row
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import Outcome, write_manifest
from cloud_inventory.values import pick
from cloud_inventory.warehouse.runner import build

from .conftest import PROJECT_ROOT, model_folder

ACCOUNT = "555555555555"
REGIONS = ("us-east-1", "eu-west-1")
REGIONAL = ("ebs_volume", "ec2_instance", "security_group")
START = date(2026, 11, 1)
COMPARED = ("intermediate.int_inventory__aws_events", "intermediate.int_inventory__aws_versions",
            "marts.inventory_history", "marts.resource_changes")
INCREMENTAL = ("intermediate.int_inventory__aws_events", "intermediate.int_inventory__aws_changes")


def new_item(kind: str, number: int, rng: random.Random) -> dict:
    tags = [{"Key": "team", "Value": rng.choice(["payments", "search"])}, {"Key": "Name", "Value": f"{kind}-{number}"}]
    if kind == "ebs_volume":
        return {"VolumeId": f"vol-{number:04d}", "Size": rng.choice([8, 100]), "VolumeType": "gp3",
                "State": "in-use", "CreateTime": "2026-01-01T00:00:00Z", "Tags": tags}
    if kind == "ec2_instance":
        return {"InstanceId": f"i-{number:04d}", "InstanceType": rng.choice(["m5.large", "t3.small"]),
                "State": {"Name": "running"}, "LaunchTime": "2026-01-01T00:00:00Z", "ImageId": "ami-1",
                "SecurityGroups": [{"GroupId": "sg-0001", "GroupName": "web"}], "Tags": tags}
    if kind == "security_group":
        return {"GroupId": f"sg-{number:04d}", "GroupName": f"group-{number}", "Tags": tags, "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]}
    return {"Name": f"bucket-{number:04d}", "CreationDate": "2026-01-01T00:00:00Z",
            "BucketRegion": rng.choice(REGIONS), "TagSet": tags}


def modify(kind: str, item: dict, rng: random.Random) -> None:
    change = rng.randrange(3)
    if change == 0 or kind == "s3_bucket":
        item["Tags" if kind != "s3_bucket" else "TagSet"][0]["Value"] = rng.choice(["payments", "search", "ml"])
    elif kind == "ebs_volume":
        item["Size"] += 10
    elif kind == "ec2_instance":
        item["InstanceType"] = "m5.xlarge" if change == 1 else item["InstanceType"]
        item["State"]["Name"] = "terminated" if change == 2 else item["State"]["Name"]
    else:
        item["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 22 + len(item["IpPermissions"]),
                                      "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})


class Estate:
    """Resources per source (region or "global", type), evolving a day at a time; every day's outcomes."""

    def __init__(self, lake: Lake, seed: int):
        self.lake, self.rng = lake, random.Random(seed)
        self.sources = [(region, kind) for region in REGIONS for kind in REGIONAL] + [("global", "s3_bucket")]
        self.items: dict[tuple[str, str], dict[str, dict]] = {source: {} for source in self.sources}
        self.gone: dict[tuple[str, str], list[dict]] = {source: [] for source in self.sources}
        self.count = 0

    def evolve(self) -> None:
        for source in self.sources:
            kind, items = source[1], self.items[source]
            for key in list(items):
                roll = self.rng.random()
                if roll < 0.08:
                    self.gone[source].append(items.pop(key))
                elif roll < 0.25:
                    modify(kind, items[key], self.rng)
            for _ in range(self.rng.randrange(3)):
                self.count += 1
                item = new_item(kind, self.count, self.rng)
                items[pick(item, BY_NAME[kind].id)] = item
            if self.gone[source] and self.rng.random() < 0.3:  # the same id again: a re-creation
                item = self.gone[source].pop(0)
                items[pick(item, BY_NAME[kind].id)] = item

    def snapshot(self, day: date, failing: set[tuple[str, str]]) -> None:
        """Write the day's partitions and manifests as an extraction run would (a rerun replaces them)."""
        at = datetime(day.year, day.month, day.day, 2, tzinfo=timezone.utc)
        outcomes: dict[str, list[Outcome]] = {}
        for source in self.sources:
            region, kind = source
            partition = self.lake.aws_partition(kind, day, ACCOUNT, region)
            outcome = Outcome(kind, started_at=at)
            if source in failing:
                outcome.finish(self.rng.choice(["denied", "failed"]), "Boom", "could not look")
                if self.lake.exists(partition):
                    self.lake.fs.delete_file(partition)
            else:
                rows = [to_row(BY_NAME[kind], item, account_id=ACCOUNT, region=region, snapshot_date=day,
                               snapshot_at=at, run_id=f"run-{day}") for item in self.items[source].values()]
                self.lake.write_table(partition, pa.Table.from_pylist(rows, schema=AWS_SCHEMA))
                outcome.rows = len(rows)
                outcome.finish("ok")
            outcomes.setdefault(region, []).append(outcome)
        for region, found in outcomes.items():
            write_manifest(self.lake, snapshot_date=day, run_id=f"run-{day}", account_id=ACCOUNT,
                           account_name="synthetic", region=region, outcomes=found)


def build_into(warehouse: Path, sql: Path, full_refresh: bool):
    settings = dataclasses.replace(inventory_settings.load(), warehouse_path=warehouse)
    return build(settings, sql_dir=sql, full_refresh=full_refresh)


def table_rows(warehouse: Path, relation: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)


@pytest.mark.parametrize("seed", [7, 11])
def test_history_built_a_day_at_a_time_is_history_built_whole(seed, monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    lake = Lake(str(tmp_path / "lake"))
    sql = model_folder(tmp_path / "models", "intermediate/int_aws__source_snapshots.sql",
                       "intermediate/int_k8s__latest_dumps.sql", "intermediate/int_inventory__*.sql",
                       "marts/inventory_history.sql", "marts/resource_changes.sql")
    estate = Estate(lake, seed)
    rng = random.Random(seed)
    plan = [("day", offset) for offset in range(7)] + [("rerun", 2), ("day", 7), ("rerun", 7), ("day", 8)]
    outcomes: dict[int, set] = {}
    for step, (what, offset) in enumerate(plan):
        day = START + timedelta(days=offset)
        if what == "day":
            estate.evolve()
            # a day or two of failures, and a source that stays down for three days
            outcomes[offset] = {s for s in estate.sources if rng.random() < 0.15}
            if offset in (3, 4, 5):
                outcomes[offset].add(("eu-west-1", "ec2_instance"))
        else:  # an earlier day rerun: the failures of that day recover, a source that was fine fails
            outcomes[offset] = {rng.choice(estate.sources)}
        estate.snapshot(day, outcomes[offset])

        daily = build_into(tmp_path / "daily.duckdb", sql, full_refresh=False)
        build_into(tmp_path / f"whole-{step}.duckdb", sql, full_refresh=True)
        if step:
            modes = {s["model"]: s["mode"] for s in daily.stats}
            assert [modes[m] for m in INCREMENTAL] == [f"from {day.isoformat()}"] * 2, (step, modes)
        for relation in COMPARED:
            expected = table_rows(tmp_path / f"whole-{step}.duckdb", relation)
            assert table_rows(tmp_path / "daily.duckdb", relation) == expected, (step, what, day, relation)
        (tmp_path / f"whole-{step}.duckdb").unlink()

    # the estate did live: every kind of event happened
    with duckdb.connect(str(tmp_path / "daily.duckdb"), read_only=True) as con:
        kinds = dict(con.execute("select change_kind, count(*) from marts.inventory_history group by 1").fetchall())
        fields = {row[0] for row in con.execute("select distinct split_part(field, ':', 1) from marts.resource_changes").fetchall()}
    assert set(kinds) == {"first_seen", "created", "modified", "deleted"}, kinds
    assert {"tag", "instance_type", "ingress_rule", "resource"} <= fields, fields
