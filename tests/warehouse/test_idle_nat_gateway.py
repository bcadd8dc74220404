"""idle_nat_gateway on a small crafted lake: the processed-bytes threshold at its edge, the days needed, what
counts as processed (bytes in from either side, not the bytes out), the gateway's state, days accumulated across
snapshots, and its price (a month of nat:hour). The demo's idle stg-nat-a is in test_marts_waste.py."""
from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.aws.registry import BY_NAME
from cloud_inventory.aws.transform import AWS_SCHEMA, to_row
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import Outcome, write_manifest
from cloud_inventory.warehouse.runner import build

from .conftest import PROJECT_ROOT, model_folder, rows

SEEDS = PROJECT_ROOT / "include" / "config" / "seeds"
ACCOUNT, REGION = "111111111111", "us-east-1"
GB = 1024 ** 3
DAY = date(2026, 3, 20)
MODELS = ("intermediate/int_aws__source_snapshots.sql", "intermediate/int_waste__*.sql",
          "intermediate/int_pricing__*.sql", "marts/waste.sql")


def seed(path: str, key: str, value: str, column: str) -> str:
    with open(SEEDS / path, newline="") as f:
        (found,) = [row[column] for row in csv.DictReader(f) if row[key] == value]
    return found


def write(lake: Lake, day: date, gateways: dict[str, str], traffic: dict[str, dict[str, dict[date, float]]],
          region: str = REGION) -> None:
    """One snapshot on `day` in `region`: gateways (id -> state), their byte statistics (id -> metric -> day -> GB)
    for the 14 days before it, and ok manifests of both sources."""
    at = datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc)
    nat_entry, metric_entry = BY_NAME["nat_gateway"], BY_NAME["nat_gateway_metric"]
    nats = [to_row(nat_entry, {"NatGatewayId": nat_id, "State": state, "SubnetId": "subnet-1", "VpcId": "vpc-1",
                               "ConnectivityType": "public", "Tags": [{"Key": "Name", "Value": nat_id}]},
                   account_id=ACCOUNT, region=region, snapshot_date=day, snapshot_at=at, run_id="crafted")
            for nat_id, state in gateways.items()]
    metrics = [to_row(metric_entry, {
        "ResourceType": "nat_gateway", "ResourceId": nat_id, "Namespace": "AWS/NATGateway", "MetricName": metric,
        "Dimensions": [{"Name": "NatGatewayId", "Value": nat_id}], "Stat": "Sum", "PeriodSeconds": 86400,
        "Timestamp": datetime(d.year, d.month, d.day, tzinfo=timezone.utc), "Value": gb * GB},
        account_id=ACCOUNT, region=region, snapshot_date=day, snapshot_at=at, run_id="crafted")
        for nat_id, by_metric in traffic.items() for metric, by_day in by_metric.items()
        for d, gb in by_day.items() if day - timedelta(days=14) <= d < day]
    outcomes = []
    for entry, table in ((nat_entry, nats), (metric_entry, metrics)):
        lake.write_table(lake.aws_partition(entry.name, day, ACCOUNT, region),
                         pa.Table.from_pylist(table, schema=AWS_SCHEMA))
        outcome = Outcome(entry.name, rows=len(table))
        outcome.finish("ok")
        outcomes.append(outcome)
    write_manifest(lake, snapshot_date=day, run_id="crafted", account_id=ACCOUNT, account_name="prod",
                   region=region, outcomes=outcomes)


def days(first: date, count: int, gb: float = 0.0) -> dict[date, float]:
    return {first + timedelta(days=n): gb for n in range(count)}


@pytest.fixture
def findings(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    monkeypatch.delenv("INVENTORY_LAKE_URI", raising=False)
    monkeypatch.delenv("INVENTORY_WAREHOUSE_PATH", raising=False)
    settings = inventory_settings.load()
    lake = Lake(settings.lake_uri)
    window = DAY - timedelta(days=14)
    gateways = {"nat-idle": "available", "nat-exactly-1gb": "available", "nat-just-over": "available",
                "nat-six-days": "available", "nat-deleted": "deleted", "nat-only-out": "available",
                "nat-was-busy": "available"}
    zeros = {"BytesInFromSource": days(window, 14), "BytesInFromDestination": days(window, 14)}
    traffic = {
        "nat-idle": zeros,
        # 0.25 GB from each side on two days: exactly 1 GB processed, the threshold ("at most")
        "nat-exactly-1gb": {"BytesInFromSource": {**days(window, 14), window: 0.25, window + timedelta(days=3): 0.25},
                            "BytesInFromDestination": {**days(window, 14), window + timedelta(days=5): 0.25,
                                                       window + timedelta(days=9): 0.25}},
        "nat-just-over": {"BytesInFromSource": {**days(window, 14), window: 1 + 1 / GB},
                          "BytesInFromDestination": days(window, 14)},
        "nat-six-days": {"BytesInFromSource": days(DAY - timedelta(days=6), 6)},
        "nat-deleted": zeros,
        # bytes out are the same traffic leaving: only what came in is counted (here nothing did)
        "nat-only-out": {**zeros, "BytesOutToDestination": days(window, 14, 50.0)},
        # busy 20 days ago (an earlier snapshot saw it), nothing since
        "nat-was-busy": {"BytesInFromSource": {**days(DAY - timedelta(days=21), 21), DAY - timedelta(days=20): 50.0}},
    }
    write(lake, DAY - timedelta(days=7), gateways, traffic)
    write(lake, DAY, gateways, traffic)
    build(settings, sql_dir=model_folder(tmp_path, *MODELS))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {row["resource_id"]: row for row in rows(
            con, "select * from marts.waste where category = 'idle_nat_gateway'")}


def test_idle_nat_gateways_at_the_edges(findings):
    assert set(findings) == {"nat-idle", "nat-exactly-1gb", "nat-only-out", "nat-was-busy"}
    hours = Decimal(seed("waste_thresholds.csv", "name", "hours_per_month", "value"))
    with open(SEEDS / "prices.csv", newline="") as f:
        (hourly,) = [Decimal(r["usd"]) for r in csv.DictReader(f)
                     if r["price_key"] == "nat:hour" and r["region"] == REGION]
    idle = findings["nat-idle"]
    assert idle["est_monthly_usd"] == (hours * hourly).quantize(Decimal("0.01")) == Decimal("32.85")
    assert idle["cost_breakdown"] == "730 hour x $0.0450 (nat:hour)"
    assert (idle["account_name"], idle["region"], idle["resource_type"], idle["price_known"]) == (
        "prod", REGION, "nat_gateway", True)
    assert idle["detail"] == ("public NAT gateway available in subnet-1; 0 bytes processed ($0.00 of data "
                              "processing) over the last 14 days (idle at most 1.0 GB)")
    assert idle["wasteful_since"] == DAY - timedelta(days=14)  # the first day the statistics know of
    with open(SEEDS / "prices.csv", newline="") as f:
        (processing,) = [Decimal(r["usd"]) for r in csv.DictReader(f)
                         if r["price_key"] == "nat:data-processed" and r["region"] == REGION]
    assert f"1.0 GiB processed (${processing:.2f} of data processing)" in findings["nat-exactly-1gb"]["detail"]
    assert findings["nat-was-busy"]["wasteful_since"] == DAY - timedelta(days=19)  # the day after its busy day
