"""marts.cost_spikes on small crafted lakes: the spike rule at its edges (exactly 5x, just under, the dollar floor,
fewer than 7 trailing days), days without datapoints, unpriced regions, the EKS cluster a log group names. The demo
world's spikes (tied to the demo cluster's pods) are in test_cost_spikes_demo.py.

Thresholds and prices are read from the seeds here, so the edges move with them."""
from __future__ import annotations

import csv
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
from cloud_inventory.warehouse.runner import build

from .conftest import PROJECT_ROOT, model_folder, rows

SEEDS = PROJECT_ROOT / "include" / "config" / "seeds"
ACCOUNT = "111111111111"
GB = 1024 ** 3
SNAPSHOT_AT = datetime(2026, 3, 20, 6, 0, tzinfo=timezone.utc)
DAY = SNAPSHOT_AT.date()  # the snapshot covers the 14 whole days before it: DAY-14 .. DAY-1
MODELS = ("intermediate/int_spikes__*.sql", "intermediate/int_waste__prices.sql",
          "intermediate/int_aws__source_snapshots.sql", "intermediate/int_k8s__unhealthy.sql",
          "marts/cost_spikes.sql")


def seed_value(seed: str, name: str) -> float:
    with open(SEEDS / seed, newline="") as f:
        (found,) = [row["value"] for row in csv.DictReader(f) if row["name"] == name]
    return float(found)


def ingestion_price(region: str) -> float:
    with open(SEEDS / "prices.csv", newline="") as f:
        (found,) = [row["usd"] for row in csv.DictReader(f)
                    if row["price_key"] == "logs:ingestion" and row["region"] == region]
    return float(found)


def test_the_seeds_are_what_these_edges_assume():
    assert seed_value("cost_spike_thresholds.csv", "spike_min_ratio") == 5
    assert seed_value("cost_spike_thresholds.csv", "spike_baseline_days") == 7
    assert seed_value("cost_spike_thresholds.csv", "log_ingestion_floor_usd") == 10
    assert ingestion_price("us-east-1") == 0.5


def write_log_metrics(lake: Lake, region: str, groups: dict[str, dict[date, float]],
                      snapshot_at: datetime = SNAPSHOT_AT) -> None:
    """IncomingBytes daily sums as the metrics batch writes them (aws/metrics.py items through to_row), and an ok
    manifest of the log group metrics source."""
    entry = BY_NAME["log_group_metric"]
    day = snapshot_at.date()
    items = [{"ResourceType": "log_group", "ResourceId": group, "Namespace": "AWS/Logs",
              "MetricName": "IncomingBytes", "Dimensions": [{"Name": "LogGroupName", "Value": group}],
              "Stat": "Sum", "PeriodSeconds": 86400,
              "Timestamp": datetime(d.year, d.month, d.day, tzinfo=timezone.utc), "Value": value}
             for group, series in groups.items() for d, value in series.items()]
    table = [to_row(entry, item, account_id=ACCOUNT, region=region, snapshot_date=day, snapshot_at=snapshot_at,
                    run_id="crafted") for item in items]
    lake.write_table(lake.aws_partition(entry.name, day, ACCOUNT, region),
                     pa.Table.from_pylist(table, schema=AWS_SCHEMA))
    outcome = Outcome(entry.name, rows=len(table))
    outcome.finish("ok")
    write_manifest(lake, snapshot_date=day, run_id="crafted", account_id=ACCOUNT, account_name="prod",
                   region=region, outcomes=[outcome])


def series(baseline_gb: float, spike_gb: float, spike_day: date, days: int = 13) -> dict[date, float]:
    """baseline_gb a day for `days` days before spike_day (as far back as the history goes), spike_gb on it."""
    found = {spike_day - timedelta(days=n): baseline_gb * GB for n in range(1, days + 1)
             if spike_day - timedelta(days=n) >= DAY - timedelta(days=14)}
    found[spike_day] = spike_gb * GB
    return found


@pytest.fixture
def spikes(monkeypatch, tmp_path):
    """Build the crafted lake; the mart's rows."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    monkeypatch.delenv("INVENTORY_LAKE_URI", raising=False)
    monkeypatch.delenv("INVENTORY_WAREHOUSE_PATH", raising=False)
    settings = inventory_settings.load()
    lake = Lake(settings.lake_uri)

    def run(write) -> list[dict]:
        write(lake)
        build(settings, sql_dir=model_folder(tmp_path, *MODELS))
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            con.execute("set TimeZone = 'UTC'")
            return rows(con, "select * from marts.cost_spikes order by resource_id, spike_date")

    return run


def by_resource(found: list[dict]) -> dict[str, dict]:
    assert len({row["resource_id"] for row in found}) == len(found), "one spike per resource expected"
    return {row["resource_id"]: row for row in found}


def test_the_rule_at_its_edges(spikes):
    last = DAY - timedelta(days=1)
    found = by_resource(spikes(lambda lake: write_log_metrics(lake, "us-east-1", {
        "/app/exactly-5x": series(6, 30, last),  # $3.00 a day, then $15.00: exactly 5x, over the floor
        "/app/just-under-5x": series(6, 29.9, last),  # $14.95: 4.98x
        "/app/at-the-floor": series(2, 20, last),  # $10.00: 10x, exactly the floor
        "/app/under-the-floor": series(2, 19.98, last),  # $9.99: 10x, a cent under the floor
        "/app/steady": series(40, 40, last),  # $20 every day: over the floor, never 5x
    })))
    assert set(found) == {"/app/exactly-5x", "/app/at-the-floor"}
    exact = found["/app/exactly-5x"]
    assert (exact["spike_kind"], exact["account_id"], exact["account_name"], exact["region"]) == (
        "log_ingestion", ACCOUNT, "prod", "us-east-1")
    assert (exact["resource_type"], exact["spike_date"], float(exact["day_usd"]),
            float(exact["baseline_median_usd"]), exact["ratio"], exact["floor_usd"]) == (
        "log_group", last, 15.0, 3.0, 5.0, 10.0)
    assert exact["cluster"] is None and exact["evicted_pods"] is None and exact["crash_looping_pods"] is None
    assert exact["detail"] == (f"30.0 GiB ingested on {last}: $15.00 that day against a median of $3.00 a day "
                               "over the 7 days before (5.0x)")
    assert float(found["/app/at-the-floor"]["day_usd"]) == 10.0 and found["/app/at-the-floor"]["ratio"] == 10.0
    assert exact["as_of_date"] == DAY and exact["is_stale"] is False


def test_a_day_needs_seven_trailing_days_of_history(spikes):
    history_starts = DAY - timedelta(days=14)  # the one snapshot's window
    found = by_resource(spikes(lambda lake: write_log_metrics(lake, "us-east-1", {
        # 7 days of history before it: judged
        "/app/seventh-day": series(2, 40, history_starts + timedelta(days=7)),
        # 6 days of history before it: not judged, however large
        "/app/sixth-day": series(2, 400, history_starts + timedelta(days=6)),
    })))
    assert set(found) == {"/app/seventh-day"}
    assert found["/app/seventh-day"]["spike_date"] == history_starts + timedelta(days=7)


def test_a_gap_between_metrics_runs_is_not_days_of_nothing(spikes):
    earlier = SNAPSHOT_AT - timedelta(days=30)  # covers DAY-44..DAY-31; DAY-30..DAY-15 were never looked at
    old_days = {DAY - timedelta(days=n): 2 * GB for n in range(31, 45)}
    found = by_resource(spikes(lambda lake: (
        write_log_metrics(lake, "us-east-1", {"/app/a": old_days, "/app/b": old_days}, snapshot_at=earlier),
        write_log_metrics(lake, "us-east-1", {
            "/app/a": series(2, 40, DAY - timedelta(days=7)),  # its 7 days before were all looked at
            "/app/b": series(2, 40, DAY - timedelta(days=8)),  # one of them (DAY-15) was not: not judged
        }))))
    assert set(found) == {"/app/a"}


def test_days_without_datapoints_are_days_of_nothing_ingested(spikes):
    last = DAY - timedelta(days=1)
    found = spikes(lambda lake: write_log_metrics(lake, "us-east-1", {
        # CloudWatch publishes no datapoint for a quiet day: 30 GB ($15) every other day is a median of $0 over
        # any 7 days with at most 3 busy ones, so each busy day is a spike
        "/app/every-other-day": {last - timedelta(days=n): 30 * GB for n in (0, 2, 4, 6)},
        # busy the last 4 days: a spike while at most 3 of the 7 days before were busy; the last day has 4
        # ($15 median) and is not
        "/app/busy-since": {last - timedelta(days=n): 30 * GB for n in (0, 1, 2, 3, 4)},
    }))
    assert [(row["resource_id"], row["spike_date"]) for row in found] == [
        *(("/app/busy-since", last - timedelta(days=n)) for n in (4, 3, 2, 1)),
        *(("/app/every-other-day", last - timedelta(days=n)) for n in (6, 4, 2, 0))]
    first = found[0]
    assert float(first["baseline_median_usd"]) == 0 and first["ratio"] is None
    assert first["detail"].endswith("against a median of $0.00 a day over the 7 days before")


def test_an_unpriced_region_is_not_judged(spikes):
    last = DAY - timedelta(days=1)
    found = by_resource(spikes(lambda lake: (
        write_log_metrics(lake, "ap-south-1", {"/app/mumbai": series(2, 200, last)}),
        write_log_metrics(lake, "eu-west-1", {"/app/dublin": series(2, 200, last)}))))
    assert set(found) == {"/app/dublin"}
    assert float(found["/app/dublin"]["day_usd"]) == round(200 * ingestion_price("eu-west-1"), 2)


def test_a_container_insights_log_group_names_its_cluster(spikes):
    last = DAY - timedelta(days=1)
    found = by_resource(spikes(lambda lake: write_log_metrics(lake, "us-east-1", {
        "/aws/containerinsights/prod-eks/application": series(2, 40, last),
        "/aws/containerinsights-like/prod-eks/application": series(2, 40, last)})))
    tied = found["/aws/containerinsights/prod-eks/application"]
    assert tied["cluster"] == "prod-eks"
    # no Kubernetes dump in this lake: the cluster is named, its pod counts unknown (not 0)
    assert tied["evicted_pods"] is None and tied["crash_looping_pods"] is None
    assert tied["detail"].endswith("; EKS cluster prod-eks: no Kubernetes dump of that day")
    assert found["/aws/containerinsights-like/prod-eks/application"]["cluster"] is None


def write_service_costs(lake: Lake, reported_by: str, days: dict[tuple[str, str], dict[date, float]],
                        status: str = "ok", snapshot_at: datetime = SNAPSHOT_AT) -> None:
    """Cost Explorer items as aws/costs.py writes them for the account `reported_by`: (linked account, service)
    -> day -> USD; and that account's manifest (status 'denied': no rows, as an account without Cost Explorer)."""
    entry = BY_NAME["ce_service_cost"]
    day = snapshot_at.date()
    items = [{"TimePeriod": {"Start": d.isoformat(), "End": (d + timedelta(days=1)).isoformat()},
              "Service": service, "LinkedAccountId": linked, "Metric": "UnblendedCost", "Amount": str(amount),
              "Unit": "USD", "Estimated": d == day - timedelta(days=1)}
             for (linked, service), series_ in days.items() for d, amount in series_.items()]
    table = [to_row(entry, item, account_id=reported_by, region="global", snapshot_date=day,
                    snapshot_at=snapshot_at, run_id="crafted") for item in items] if status == "ok" else []
    if status == "ok":
        lake.write_table(lake.aws_partition(entry.name, day, reported_by, "global"),
                         pa.Table.from_pylist(table, schema=AWS_SCHEMA))
    outcome = Outcome(entry.name, rows=len(table))
    outcome.finish(status, *(("AccessDeniedException", "User not enabled for cost explorer access")
                             if status == "denied" else ()))
    write_manifest(lake, snapshot_date=day, run_id="crafted", account_id=reported_by, account_name=reported_by,
                   region="global", outcomes=[outcome])


def spend(baseline: float, spike: float, spike_day: date) -> dict[date, float]:
    return {d: usd / GB for d, usd in series(baseline, spike, spike_day).items()}  # series() counts in GB


def test_service_spend_spikes_per_linked_account(spikes):
    prod, staging, dev = "111111111111", "222222222222", "333333333333"
    last = DAY - timedelta(days=1)
    found = spikes(lambda lake: (
        # the management account answers for itself and its member staging
        write_service_costs(lake, prod, {
            (prod, "AmazonCloudWatch"): spend(4, 64, last),  # 16x, over the $50 floor
            (prod, "Amazon Elastic Compute Cloud - Compute"): spend(120, 130, last),
            (staging, "AmazonCloudWatch"): spend(4, 49.99, last),  # 12x, a cent under the floor
            (staging, "Amazon Relational Database Service"): spend(10, 50, last),  # exactly 5x and the floor
        }),
        # staging answers too (the same bill): counted once
        write_service_costs(lake, staging, {(staging, "Amazon Relational Database Service"): spend(10, 50, last)}),
        # dev has no Cost Explorer: recorded as denied, no rows, no failure
        write_service_costs(lake, dev, {}, status="denied")))
    found.sort(key=lambda row: row["account_id"])
    assert [(r["account_id"], r["resource_id"], r["spike_date"], float(r["day_usd"]),
             float(r["baseline_median_usd"]), r["ratio"]) for r in found] == [
        (prod, "AmazonCloudWatch", last, 64.0, 4.0, 16.0),
        (staging, "Amazon Relational Database Service", last, 50.0, 10.0, 5.0)]
    cloudwatch = found[0]
    assert (cloudwatch["spike_kind"], cloudwatch["region"], cloudwatch["resource_type"], cloudwatch["floor_usd"],
            cloudwatch["account_name"], cloudwatch["cluster"]) == (
        "service_spend", "global", "service", 50.0, "prod", None)
    assert cloudwatch["detail"] == (f"AmazonCloudWatch spend (estimated) on {last}: $64.00 that day against a "
                                    "median of $4.00 a day over the 7 days before (16.0x)")
    assert found[1]["account_name"] == "staging" and found[1]["is_stale"] is False
