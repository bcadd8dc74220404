"""marts.nat_gateway_traffic on a small crafted lake (the writer of test_idle_nat_gateway.py): each gateway's bytes
processed (in from either side), bytes out to destinations and data-processing dollars per day, days accumulated
across snapshots with the latest snapshot's value winning, the gateway as its latest snapshot saw it, and a day
without a processed statistic or without a price explained, never $0. Expected dollars are computed here from
include/config/seeds/prices.csv."""
from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.lake import Lake
from cloud_inventory.warehouse.runner import build

from .conftest import PROJECT_ROOT, model_folder, rows
from .test_idle_nat_gateway import DAY, REGION, SEEDS, days, write

MODELS = ("intermediate/int_aws__source_snapshots.sql", "intermediate/int_waste__*.sql",
          "intermediate/int_pricing__*.sql", "intermediate/int_inventory__accounts.sql",
          "marts/nat_gateway_traffic.sql")
UNPRICED_REGION = "ap-southeast-2"  # prices.csv has no nat:data-processed there
EARLIER = DAY - timedelta(days=7)
FIRST = EARLIER - timedelta(days=14)  # the first day the earlier snapshot's statistics cover


def price(region: str) -> Decimal:
    with open(SEEDS / "prices.csv", newline="") as f:
        (found,) = [Decimal(r["usd"]) for r in csv.DictReader(f)
                    if r["price_key"] == "nat:data-processed" and r["region"] == region]
    return found


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    root = tmp_path_factory.mktemp("nat-traffic")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INVENTORY_DATA_DIR", str(root))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
        patch.delenv("INVENTORY_LAKE_URI", raising=False)
        patch.delenv("INVENTORY_WAREHOUSE_PATH", raising=False)
        settings = inventory_settings.load()
        lake = Lake(settings.lake_uri)
        busy = {"BytesInFromSource": days(FIRST, 21, 3.0), "BytesInFromDestination": days(FIRST, 21, 1.0),
                "BytesOutToDestination": days(FIRST, 21, 2.5), "BytesOutToSource": days(FIRST, 21, 1.5)}
        only_out = {"BytesOutToDestination": days(FIRST, 21, 7.0)}
        # the earlier snapshot saw 3 GB from the source on a day the later one saw 9 GB (a late datapoint)
        revised = DAY - timedelta(days=10)
        write(lake, EARLIER, {"nat-busy": "available", "nat-only-out": "available", "nat-gone": "available"},
              {"nat-busy": busy, "nat-only-out": only_out, "nat-gone": busy})
        write(lake, DAY, {"nat-busy": "available", "nat-only-out": "available", "nat-gone": "deleted"},
              {"nat-busy": {**busy, "BytesInFromSource": {**busy["BytesInFromSource"], revised: 9.0}},
               "nat-only-out": only_out, "nat-gone": busy})
        write(lake, DAY, {"nat-far": "available"}, {"nat-far": busy}, region=UNPRICED_REGION)
        build(settings, sql_dir=model_folder(root, *MODELS))
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            found = rows(con, "select * from marts.nat_gateway_traffic")
    return {(row["nat_gateway_id"], row["traffic_date"]): row for row in found}


def test_one_row_per_gateway_and_day_accumulated_across_snapshots(traffic):
    for gateway in ("nat-busy", "nat-only-out", "nat-gone"):
        # 14 days before the earlier snapshot and 7 more from the later one
        assert sorted(day for nat, day in traffic if nat == gateway) == [FIRST + timedelta(days=n) for n in range(21)]
    assert sorted(day for nat, day in traffic if nat == "nat-far") == [DAY - timedelta(days=14 - n) for n in range(14)]


def test_processed_is_bytes_in_from_either_side_priced_per_gb(traffic):
    row = traffic[("nat-busy", FIRST)]
    assert (row["processed_bytes"], row["processed_gb"]) == (4 * 1024 ** 3, 4.0)
    assert (row["bytes_out_to_destination"], row["bytes_out_to_destination_gb"]) == (int(2.5 * 1024 ** 3), 2.5)
    assert row["processed_usd"] == 4 * price(REGION)
    assert (row["price_known"], row["unpriced_reason"]) == (True, None)
    assert (row["account_name"], row["environment"], row["region"], row["nat_gateway_name"], row["vpc_id"],
            row["subnet_id"], row["connectivity_type"], row["is_stale"], row["as_of_date"]) == (
        "prod", "prod", REGION, "nat-busy", "vpc-1", "subnet-1", "public", False, DAY)


def test_the_latest_snapshot_of_a_day_wins(traffic):
    row = traffic[("nat-busy", DAY - timedelta(days=10))]
    assert row["processed_gb"] == 10.0 and row["processed_usd"] == 10 * price(REGION)


def test_the_gateway_is_as_its_latest_snapshot_saw_it(traffic):
    row = traffic[("nat-gone", FIRST)]
    assert (row["state"], row["last_seen_date"]) == ("deleted", DAY)
    assert traffic[("nat-busy", FIRST)]["state"] == "available"


def test_a_day_without_processed_bytes_or_price_is_explained_never_zero(traffic):
    out_only = traffic[("nat-only-out", FIRST)]
    assert (out_only["processed_bytes"], out_only["processed_usd"], out_only["price_known"]) == (None, None, False)
    assert out_only["bytes_out_to_destination_gb"] == 7.0
    assert out_only["unpriced_reason"] == "no BytesInFromSource or BytesInFromDestination statistic that day"
    day = DAY - timedelta(days=1)
    far = traffic[("nat-far", day)]
    assert (far["processed_gb"], far["processed_usd"], far["price_known"]) == (4.0, None, False)
    assert far["unpriced_reason"] == f"no price for nat:data-processed in {UNPRICED_REGION} on {day}"
