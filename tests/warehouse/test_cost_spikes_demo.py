"""marts.cost_spikes and the idle NAT gateway on the demo world (tests/conftest.py's `demo_world`): exactly the
planted spikes, priced from the seeds here in Python, the ingestion spike tied to prod-eks's pods that day, and
Cost Explorer where it answers (prod, for itself and staging), denied in dev, not a failure."""
from __future__ import annotations

import csv
import statistics
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from cloud_inventory.demo import estate
from cloud_inventory.manifest import read_manifests

from .conftest import PROJECT_ROOT, build_world, rows

SEEDS = PROJECT_ROOT / "include" / "config" / "seeds"
MODELS = ("intermediate/int_spikes__*.sql", "intermediate/int_waste__prices.sql",
          "intermediate/int_aws__source_snapshots.sql", "intermediate/int_k8s__unhealthy.sql",
          "marts/cost_spikes.sql")
APPLICATION_LOGS = "/aws/containerinsights/prod-eks/application"


def cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ingestion_price(region: str) -> Decimal:
    with open(SEEDS / "prices.csv", newline="") as f:
        (found,) = [row["usd"] for row in csv.DictReader(f)
                    if row["price_key"] == "logs:ingestion" and row["region"] == region]
    return Decimal(found)


@pytest.fixture(scope="module")
def spikes(demo_world, tmp_path_factory):
    result = build_world(demo_world, tmp_path_factory.mktemp("spikes"), *MODELS)
    with duckdb.connect(str(result.warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return rows(con, "select * from marts.cost_spikes order by spike_kind, account_id, resource_id")


def test_exactly_the_planted_spikes(demo_world, spikes):
    yesterday = demo_world["days"][-1] - timedelta(days=1)  # the last whole day the last run's metrics cover
    assert [(r["spike_kind"], r["account_id"], r["region"], r["resource_id"], r["spike_date"]) for r in spikes] == [
        ("log_ingestion", estate.PROD, estate.US, APPLICATION_LOGS, yesterday),
        ("service_spend", estate.PROD, "global", "AmazonCloudWatch", yesterday)]


def test_the_ingestion_spike_is_priced_and_tied_to_the_cluster_pods_that_day(demo_world, spikes):
    spike = spikes[0]
    gb = estate.CONTAINER_INSIGHTS_APPLICATION_GB
    price = ingestion_price(estate.US)
    baseline = Decimal(str(statistics.median(gb[-8:-1]))) * price
    assert spike["day_usd"] == cents(Decimal(str(gb[-1])) * price)  # 120 GB x $0.50 = $60.00
    assert spike["baseline_median_usd"] == cents(baseline)
    assert spike["ratio"] == round(float(Decimal(str(gb[-1])) * price / baseline), 1)
    assert (spike["account_name"], spike["resource_type"], spike["floor_usd"]) == ("prod", "log_group", 10.0)
    # demo/k8s.py's story, day index 1: the pod evicted on day 0 lingers, the worker pod replacing it crash-loops
    assert (spike["cluster"], spike["evicted_pods"], spike["crash_looping_pods"]) == ("prod-eks", 1, 1)
    assert spike["k8s_dump_at"].date() == spike["spike_date"]
    assert "EKS cluster prod-eks that day: 1 evicted and 1 crash-looping pods" in spike["detail"]
    assert spike["as_of_date"] == demo_world["days"][-1] and spike["is_stale"] is False


def test_the_spend_spike_comes_from_cost_explorer(demo_world, spikes):
    spend = spikes[1]
    usd = estate.CLOUDWATCH_SPEND_USD
    assert spend["day_usd"] == cents(usd[-1]) and spend["baseline_median_usd"] == cents(statistics.median(usd[-8:-1]))
    assert spend["ratio"] == round(usd[-1] / statistics.median(usd[-8:-1]), 1)
    assert (spend["resource_type"], spend["floor_usd"], spend["cluster"], spend["evicted_pods"]) == (
        "service", 50.0, None, None)
    assert spend["detail"].startswith(f"AmazonCloudWatch spend (estimated) on {spend['spike_date']}: $64.30")


def test_cost_explorer_is_recorded_where_it_is_denied(demo_world):
    outcomes = {(row["account_id"], row["status"], row["error_class"])
                for day in demo_world["days"][:-1]  # dev's role is broken on the last day: everything failed
                for row in read_manifests(demo_world["lake"], day).to_pylist()
                if row["resource_type"] == "ce_service_cost"}
    assert outcomes == {(estate.PROD, "ok", None), (estate.STAGING, "ok", None),
                        (estate.DEV, "denied", "AccessDeniedException")}
