"""marts.rightsizing and its int_rightsizing__* models on a small crafted lake: instances, DB instances, a node
group and their daily statistics written as the extractor writes them (aws/transform.py's to_row and the run
manifest), with the instance type catalog moto's DescribeInstanceTypes answers. Peaks sit at the thresholds'
edges; expected dollars are computed here from include/config/seeds/prices.csv, never copied from the mart.
"""
from __future__ import annotations

import csv
import shutil
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pytest
from moto import mock_aws

from cloud_inventory import settings as inventory_settings
from cloud_inventory.aws.registry import BY_NAME, types_for
from cloud_inventory.aws.transform import AWS_SCHEMA, to_row
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import Outcome, write_manifest
from cloud_inventory.warehouse.runner import build

from .conftest import PROJECT_ROOT, model_folder, rows

SEEDS = PROJECT_ROOT / "include" / "config" / "seeds"
DICTIONARY = PROJECT_ROOT / "docs" / "data-dictionary"
MODELS = ("intermediate/int_aws__source_snapshots.sql", "intermediate/int_waste__*.sql",
          "intermediate/int_pricing__*.sql",
          "intermediate/int_inventory__eks_nodegroup_instances.sql", "intermediate/int_inventory__accounts.sql",
          "intermediate/int_k8s__latest_dumps.sql", "intermediate/int_rightsizing__*.sql", "marts/rightsizing.sql")
ACCOUNT, US, EU = "111111111111", "us-east-1", "eu-west-1"  # the demo accounts file's prod account
DAY = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 6, tzinfo=timezone.utc)
GIB = 1024 ** 3
# (name, type, {metric: [daily values]}); a list shorter than 14 is the last days only. CPU and memory are
# daily Maximum (and the same daily Average, so idle_instance sees it too).
FULL = 14
INSTANCES = [
    ("under-edges", "m5.2xlarge", {"cpu": [39.9] * FULL, "mem": [39.9] * FULL}),
    ("cpu-at-threshold", "m5.2xlarge", {"cpu": [40.0] + [10.0] * 13, "mem": [20.0] * FULL}),
    ("memory-at-threshold", "m5.2xlarge", {"cpu": [20.0] * FULL, "mem": [20.0] * 13 + [40.0]}),
    ("cpu-low-memory-high", "m5.2xlarge", {"cpu": [12.0] * FULL, "mem": [85.0] * FULL}),
    ("no-agent", "m5.2xlarge", {"cpu": [20.0] * FULL}),
    ("memory-6-days", "m5.2xlarge", {"cpu": [20.0] * FULL, "mem": [20.0] * 6}),
    ("memory-7-days", "m5.2xlarge", {"cpu": [20.0] * FULL, "mem": [20.0] * 7}),
    ("cpu-6-days", "m5.2xlarge", {"cpu": [20.0] * 6, "mem": [20.0] * FULL}),
    ("smallest", "m5.large", {"cpu": [20.0] * FULL, "mem": [20.0] * FULL}),
    ("idle", "m5.2xlarge", {"cpu": [2.0] * FULL, "mem": [10.0] * FULL}),  # idle_instance: waste, not resized
    ("unpriced", "c6g.2xlarge", {"cpu": [20.0] * FULL, "mem": [20.0] * FULL}),
    ("node-a", "m5.xlarge", {"cpu": [20.0] * FULL, "mem": [30.0] * FULL}, "general"),
    ("node-b", "m5.xlarge", {"cpu": [25.0] * FULL, "mem": [35.0] * FULL}, "general"),
    ("busy-node-a", "m5.xlarge", {"cpu": [20.0] * FULL, "mem": [30.0] * FULL}, "busy"),
    ("busy-node-b", "m5.xlarge", {"cpu": [20.0] * 13 + [75.0], "mem": [30.0] * FULL}, "busy"),
]
EU_INSTANCES = [("eu-under", "m5.2xlarge", {"cpu": [20.0] * FULL, "mem": [20.0] * FULL})]
# (identifier, class, engine, lowest free memory per day in bytes or None, CPU)
DB_INSTANCES = [
    ("orders-db", "db.t3.medium", "postgres", 3 * GIB, 30.0),  # t3.medium: 4 GiB, 25 % used at peak
    ("memory-bound-db", "db.t3.medium", "postgres", GIB // 2, 10.0),  # 87.5 % used: not a row
    ("no-freeable-db", "db.t3.medium", "postgres", None, 10.0),
    ("uncatalogued-db", "db.x9.large", "postgres", 3 * GIB, 10.0),  # no x9 family: its memory is unknown
]
CLUSTER = "crafted-eks"


def price(key: str, region: str) -> Decimal:
    with open(SEEDS / "prices.csv", newline="") as f:
        (found,) = [row["usd"] for row in csv.DictReader(f) if row["price_key"] == key and row["region"] == region]
    return Decimal(found)


def monthly(key: str, region: str = US, nodes: int = 1) -> Decimal:
    with open(SEEDS / "waste_thresholds.csv", newline="") as f:
        (hours,) = [row["value"] for row in csv.DictReader(f) if row["name"] == "hours_per_month"]
    return (Decimal(hours) * price(key, region) * nodes).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def instance_types(region: str) -> list[dict]:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
        return [item for page in ec2.get_paginator("describe_instance_types").paginate()
                for item in page["InstanceTypes"]]


def daily(resource_type: str, resource_id: str, namespace: str, metric: str, dimension: str, values: list[float],
          stats: tuple[str, ...], day: date = DAY) -> list[dict]:
    """Items as aws/metrics.py yields them: the last len(values) whole days before `day`."""
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - timedelta(days=len(values))
    return [{"ResourceType": resource_type, "ResourceId": resource_id, "Namespace": namespace, "MetricName": metric,
             "Dimensions": [{"Name": dimension, "Value": resource_id}], "Stat": stat, "PeriodSeconds": 86400,
             "Timestamp": start + timedelta(days=index), "Value": value}
            for index, value in enumerate(values) for stat in stats]


def write(lake: Lake, region: str, items: dict[str, list[dict]], day: date = DAY) -> None:
    """Each type's items as its lake partition, and a manifest saying every regional type was extracted."""
    at = AT - (DAY - day)
    for resource_type, found in items.items():
        table = [to_row(BY_NAME[resource_type], item, account_id=ACCOUNT, region=region, snapshot_date=day,
                        snapshot_at=at, run_id="crafted", parent_id=CLUSTER if resource_type == "eks_nodegroup"
                        else None) for item in found]
        lake.write_table(lake.aws_partition(resource_type, day, ACCOUNT, region),
                         pa.Table.from_pylist(table, schema=AWS_SCHEMA))
    outcomes = []
    for entry in types_for("regional"):
        outcome = Outcome(entry.name, rows=len(items.get(entry.name, [])))
        outcome.finish("ok")
        outcomes.append(outcome)
    write_manifest(lake, snapshot_date=day, run_id="crafted", account_id=ACCOUNT, account_name="prod", region=region,
                   outcomes=outcomes)


def instance_items(crafted: list[tuple]) -> tuple[list[dict], list[dict]]:
    instances, metrics = [], []
    for name, itype, series, *nodegroup in crafted:
        iid = f"i-{name}"
        tags = [{"Key": "Name", "Value": name}]
        if nodegroup:
            tags += [{"Key": "eks:cluster-name", "Value": CLUSTER}, {"Key": "eks:nodegroup-name", "Value": nodegroup[0]}]
        instances.append({"InstanceId": iid, "InstanceType": itype, "State": {"Name": "running", "Code": 16},
                          "PlatformDetails": "Linux/UNIX", "Placement": {"Tenancy": "default"}, "Tags": tags})
        metrics += daily("ec2_instance", iid, "AWS/EC2", "CPUUtilization", "InstanceId", series["cpu"],
                         ("Average", "Maximum"))
        if "mem" in series:
            metrics += daily("ec2_instance", iid, "CWAgent", "mem_used_percent", "InstanceId", series["mem"],
                             ("Average", "Maximum"))
    return instances, metrics


def build_crafted(root: Path, seeds_dir: Path = SEEDS):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INVENTORY_DATA_DIR", str(root / "data"))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
        return build(inventory_settings.load(), sql_dir=model_folder(root, *MODELS), seeds_dir=seeds_dir)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    root = tmp_path_factory.mktemp("rightsizing")
    lake = Lake(str(root / "data" / "lake"))
    instances, metrics = instance_items(INSTANCES)
    databases, db_metrics = [], []
    for identifier, klass, engine, free, cpu in DB_INSTANCES:
        databases.append({"DBInstanceIdentifier": identifier, "DBInstanceClass": klass, "Engine": engine,
                          "DBInstanceStatus": "available", "MultiAZ": False,
                          "DBInstanceArn": f"arn:aws:rds:{US}:{ACCOUNT}:db:{identifier}", "TagList": []})
        db_metrics += daily("rds_instance", identifier, "AWS/RDS", "CPUUtilization", "DBInstanceIdentifier",
                            [cpu] * FULL, ("Average", "Maximum"))
        db_metrics += daily("rds_instance", identifier, "AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier",
                            [12.0] * FULL, ("Average", "Maximum"))  # in use: not idle_rds_instance
        if free is not None:
            db_metrics += daily("rds_instance", identifier, "AWS/RDS", "FreeableMemory", "DBInstanceIdentifier",
                                [float(free)] * FULL, ("Minimum",))
    nodegroups = [{"clusterName": CLUSTER, "nodegroupName": group, "status": "ACTIVE", "capacityType": "ON_DEMAND",
                   "instanceTypes": ["m5.xlarge"], "scalingConfig": {"minSize": 1, "maxSize": 4, "desiredSize": 2},
                   "nodegroupArn": f"arn:aws:eks:{US}:{ACCOUNT}:nodegroup/{CLUSTER}/{group}/x"}
                  for group in ("general", "busy")]
    catalog = instance_types(US)
    # the day before, "under-edges" was busy: that snapshot's 14 days are not read, only the latest snapshot's
    busy = daily("ec2_instance", "i-under-edges", "AWS/EC2", "CPUUtilization", "InstanceId", [90.0] * FULL,
                 ("Average", "Maximum"), day=DAY - timedelta(days=1))
    write(lake, US, {"ec2_instance": instances, "ec2_instance_metric": busy}, day=DAY - timedelta(days=1))
    write(lake, US, {"ec2_instance": instances, "ec2_instance_metric": metrics, "rds_instance": databases,
                     "rds_instance_metric": db_metrics, "eks_nodegroup": nodegroups, "ec2_instance_type": catalog})
    # eu-west-1's catalog lacks m5.xlarge: the next smaller m5.2xlarge there is m5.large
    eu_instances, eu_metrics = instance_items(EU_INSTANCES)
    eu_catalog = [item for item in instance_types(EU) if item["InstanceType"] != "m5.xlarge"]
    write(lake, EU, {"ec2_instance": eu_instances, "ec2_instance_metric": eu_metrics, "ec2_instance_type": eu_catalog})
    result = build_crafted(root)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    yield {"root": root, "con": con, "result": result}
    con.close()


@pytest.fixture(scope="module")
def found(crafted) -> dict[str, dict]:
    return {row["resource_name"]: row for row in rows(crafted["con"], "select * from marts.rightsizing")}


def test_next_smaller_size_is_the_largest_of_the_family_with_less_memory_the_region_offers(crafted):
    smaller = dict(crafted["con"].execute(
        "select region || ' ' || instance_type, next_smaller_type from intermediate.int_rightsizing__instance_types "
        "where instance_type in ('m5.2xlarge', 'm5.large', 'm5.24xlarge', 't3.small', 'r6g.large')").fetchall())
    assert smaller == {
        f"{US} m5.2xlarge": "m5.xlarge", f"{US} m5.large": None,
        f"{US} m5.24xlarge": "m5.16xlarge",  # m5.metal has the same memory and is bare metal: never proposed
        f"{US} t3.small": "t3.micro", f"{US} r6g.large": "r6g.medium",
        f"{EU} m5.2xlarge": "m5.large", f"{EU} m5.large": None, f"{EU} m5.24xlarge": "m5.16xlarge",
        f"{EU} t3.small": "t3.micro", f"{EU} r6g.large": "r6g.medium"}


def test_under_both_thresholds_gets_the_next_size_with_the_saving_in_dollars(found):
    row = found["under-edges"]
    current, proposed = monthly("ec2:m5.2xlarge:linux"), monthly("ec2:m5.xlarge:linux")
    assert (row["resource_type"], row["recommendation"], row["current_type"], row["proposed_type"]) == (
        "ec2_instance", "downsize", "m5.2xlarge", "m5.xlarge")
    assert (row["current_monthly_usd"], row["proposed_monthly_usd"], row["monthly_saving_usd"]) == (
        current, proposed, current - proposed)
    assert row["monthly_saving_usd"] > 0 and row["price_known"] and row["unpriced_reason"] is None
    assert (row["max_cpu_percent"], row["max_memory_percent"], row["cpu_days"], row["memory_days"]) == (
        39.9, 39.9, 14, 14)
    assert (row["current_vcpus"], row["current_memory_gib"], row["proposed_vcpus"], row["proposed_memory_gib"]) == (
        8, 32.0, 4, 16.0)
    assert row["memory_data"] and row["account_name"] == "prod"
    assert row["detail"].startswith("m5.2xlarge -> m5.xlarge: highest CPU 39.9% and memory 39.9% over 14 days")


def test_at_a_threshold_or_with_memory_high_is_not_a_finding(found):
    for name in ("cpu-at-threshold", "memory-at-threshold", "cpu-low-memory-high", "cpu-6-days"):
        assert name not in found, name


def test_without_enough_memory_data_it_says_so_and_proposes_nothing(found):
    for name, days in (("no-agent", 0), ("memory-6-days", 6)):
        row = found[name]
        assert (row["recommendation"], row["memory_data"], row["memory_days"]) == ("needs memory data", False, days)
        assert (row["proposed_type"], row["monthly_saving_usd"], row["price_known"]) == (None, None, False)
        assert row["unpriced_reason"] == "memory unknown: no size proposed"
        assert row["current_monthly_usd"] == monthly("ec2:m5.2xlarge:linux")  # what is at stake
        assert f"measured on {days} of the 7 days needed" in row["detail"]
    assert found["memory-7-days"]["recommendation"] == "downsize"


def test_the_smallest_size_waste_and_a_missing_price_are_explained(found):
    smallest = found["smallest"]
    assert (smallest["recommendation"], smallest["proposed_type"], smallest["monthly_saving_usd"]) == (
        "no smaller size", None, None)
    assert "already the smallest m5 size us-east-1 offers" in smallest["detail"]
    assert "idle" not in found  # idle_instance in marts.waste already counts its whole cost
    unpriced = found["unpriced"]
    assert (unpriced["recommendation"], unpriced["proposed_type"]) == ("downsize", "c6g.xlarge")
    assert (unpriced["monthly_saving_usd"], unpriced["price_known"]) == (None, False)
    assert unpriced["unpriced_reason"] == "no price for ec2:c6g.2xlarge:linux and ec2:c6g.xlarge:linux in us-east-1"


def test_the_region_catalog_decides_the_next_size(found):
    row = found["eu-under"]
    assert (row["region"], row["proposed_type"]) == (EU, "m5.large")
    assert row["monthly_saving_usd"] == monthly("ec2:m5.2xlarge:linux", EU) - monthly("ec2:m5.large:linux", EU)


def test_rds_memory_is_freeable_memory_against_the_class_memory(found):
    row = found["orders-db"]
    current, proposed = monthly("rds:db.t3.medium:postgres:single-az"), monthly("rds:db.t3.small:postgres:single-az")
    assert (row["resource_type"], row["current_type"], row["proposed_type"]) == ("rds_instance", "db.t3.medium",
                                                                               "db.t3.small")
    assert (row["max_memory_percent"], row["memory_metric"]) == (25.0, "AWS/RDS FreeableMemory")
    assert row["monthly_saving_usd"] == current - proposed > 0
    assert "memory-bound-db" not in found  # 87.5 % of its 4 GiB in use at the peak
    assert (found["no-freeable-db"]["recommendation"], found["no-freeable-db"]["memory_days"]) == (
        "needs memory data", 0)
    uncatalogued = found["uncatalogued-db"]
    assert (uncatalogued["recommendation"], uncatalogued["memory_days"], uncatalogued["max_memory_percent"]) == (
        "needs memory data", 14, None)
    assert "the memory of db.x9.large is not in us-east-1's instance type catalog" in uncatalogued["detail"]


def test_a_node_group_is_sized_when_all_its_nodes_are_under(found):
    row = found["general"]
    assert (row["resource_type"], row["resource_id"], row["recommendation"]) == (
        "eks_nodegroup", f"{CLUSTER}/general", "downsize")
    assert (row["current_type"], row["proposed_type"], row["node_count"]) == ("m5.xlarge", "m5.large", 2)
    assert row["node_ids"] == ["i-node-a", "i-node-b"]
    assert (row["max_cpu_percent"], row["max_memory_percent"]) == (25.0, 35.0)
    assert row["monthly_saving_usd"] == monthly("ec2:m5.xlarge:linux", nodes=2) - monthly("ec2:m5.large:linux",
                                                                                         nodes=2)
    assert "busy" not in found  # one node peaked at 75 % CPU
    for node in ("node-a", "node-b", "busy-node-a", "busy-node-b"):  # nodes are sized with their group
        assert node not in found


def test_rows_are_exactly_the_findings(found):
    assert set(found) == {"under-edges", "no-agent", "memory-6-days", "memory-7-days", "smallest", "unpriced",
                          "eu-under", "orders-db", "no-freeable-db", "uncatalogued-db", "general"}


@pytest.mark.parametrize("replace, message", [
    (("min_days,7", "other,7"), "has no min_days"),
    (("window_days,14", "window_days,15"), "window_days is at most 14")])
def test_a_missing_or_impossible_threshold_fails_the_build_naming_it(crafted, tmp_path, replace, message):
    from cloud_inventory.warehouse.models import ModelError

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    text = (seeds / "rightsizing_thresholds.csv").read_text()
    assert replace[0] in text
    (seeds / "rightsizing_thresholds.csv").write_text(text.replace(*replace))
    root = tmp_path / "root"
    shutil.copytree(crafted["root"] / "data" / "lake", root / "data" / "lake")
    with pytest.raises(ModelError, match=f"int_rightsizing__thresholds.*{message}"):
        build_crafted(root, seeds)


def test_data_dictionary_names_every_threshold():
    # (test_data_dictionary.py checks the page's columns and runs its examples on the demo warehouse)
    text = (DICTIONARY / "rightsizing.md").read_text()
    with open(SEEDS / "rightsizing_thresholds.csv", newline="") as f:
        assert [r["name"] for r in csv.DictReader(f) if f"`{r['name']}`" not in text] == []


# --- the demo estate (tests/conftest.py's demo_warehouse: the whole of include/sql on the 3-day demo world) ------

def test_the_demo_estates_rightsizing_is_what_it_plants(demo_warehouse):
    """demo/estate.py: prod-eu-search-1 (m5.2xlarge, low CPU and agent memory), prod-eu-cache-1 (low CPU, memory
    82-91 %: not a row), prod-eu-etl-1 (no agent), stg-orders-db (db.t3.medium, 3 GiB of 4 free)."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        got = {row["resource_name"]: row for row in rows(con, "select * from marts.rightsizing")}
    assert set(got) == {"prod-eu-search-1", "prod-eu-etl-1", "stg-orders-db"}
    search, etl, db = got["prod-eu-search-1"], got["prod-eu-etl-1"], got["stg-orders-db"]
    assert (search["recommendation"], search["proposed_type"], search["monthly_saving_usd"]) == (
        "downsize", "m5.xlarge", monthly("ec2:m5.2xlarge:linux", EU) - monthly("ec2:m5.xlarge:linux", EU))
    assert (search["max_cpu_percent"], search["max_memory_percent"]) == (28.0, 34.0)
    assert (etl["recommendation"], etl["monthly_saving_usd"], etl["current_monthly_usd"]) == (
        "needs memory data", None, monthly("ec2:c5.xlarge:linux", EU))
    assert (db["recommendation"], db["proposed_type"], db["monthly_saving_usd"]) == (
        "downsize", "db.t3.small",
        monthly("rds:db.t3.medium:postgres:single-az") - monthly("rds:db.t3.small:postgres:single-az"))
    assert db["max_memory_percent"] == 25.0
