"""intermediate.int_waste__prices on a crafted lake and crafted seeds: the Price List API's prices over the price
seed for the same key, region and unit from their effective date, the override seed over both, the latest asking
of the same effective date, and answers without a price ignored."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory.lake import Lake
from cloud_inventory.pricing.dataset import PRICES_SCHEMA, partition
from cloud_inventory.settings import PROJECT_ROOT
from warehouse.conftest import model_folder, rows

SEEDS = PROJECT_ROOT / "include" / "config" / "seeds"
HEADER = "service,price_key,region,unit,usd,effective_date,source,note\n"


def answer(key: str, usd: float | None, effective: str | None, asked: str, status: str = "priced", **extra) -> dict:
    return {"price_key": key, "region": "us-west-2", "unit": "hour", "usd": usd, "status": status,
            "reason": extra.get("reason"), "service_code": "AmazonEC2", "sku": extra.get("sku", "SKU" + str(usd)),
            "effective_date": date.fromisoformat(effective) if effective else None,
            "publication_date": datetime(2026, 11, 1, tzinfo=timezone.utc),
            "snapshot_date": date.fromisoformat(asked), "snapshot_at": datetime.now(timezone.utc)}


@pytest.fixture(scope="module")
def prices(tmp_path_factory):
    root = tmp_path_factory.mktemp("precedence")
    lake = Lake(str(root / "lake"))
    asked = {
        "2026-10-01": [answer("ec2:m5.large:linux", 0.2, "2025-12-01", "2026-10-01"),
                       answer("ec2:c5.large:linux", 0.5, "2025-12-01", "2026-10-01", sku="OLD"),
                       answer("ec2:t3.micro:linux", 0.3, "2025-12-01", "2026-10-01")],
        "2026-11-01": [answer("ec2:c5.large:linux", 0.6, "2025-12-01", "2026-11-01", sku="NEW"),  # same date, asked later
                       answer("ec2:t3.micro:linux", None, None, "2026-11-01", status="error", reason="AccessDenied"),
                       answer("ec2:r5.large:linux", 0.4, "2026-06-01", "2026-11-01")]}
    for day, answers in asked.items():
        lake.write_table(partition(lake, date.fromisoformat(day)), pa.Table.from_pylist(answers, schema=PRICES_SCHEMA))
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    row = "ec2,{},us-west-2,hour,{},{},test,test\n"
    (seeds / "prices.csv").write_text(HEADER + row.format("ec2:m5.large:linux", 0.1, "2024-02-01")
                                      + row.format("ec2:m6i.large:linux", 0.15, "2024-02-01")
                                      + row.format("ec2:r5.large:linux", 0.11, "2024-02-01"))
    (seeds / "price_overrides.csv").write_text(HEADER + row.format("ec2:r5.large:linux", 0.09, "2026-09-01"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INVENTORY_DATA_DIR", str(root))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
        from cloud_inventory import settings as inventory_settings
        from cloud_inventory.warehouse.runner import build

        result = build(inventory_settings.load(), sql_dir=model_folder(root, "intermediate/int_waste__prices.sql",
                                                                       "intermediate/int_waste__price_gaps.sql"),
                       seeds_dir=seeds)
    with duckdb.connect(str(result.warehouse), read_only=True) as con:
        table = rows(con, "select price_key, usd, valid_from, valid_to, price_source, sku "
                          "from intermediate.int_waste__prices order by price_key, valid_from")
        gaps = rows(con, "select * from intermediate.int_waste__price_gaps")
    return {"table": table, "gaps": gaps}


def periods(prices: dict, key: str) -> list[tuple]:
    return [(r["usd"], str(r["valid_from"]), r["valid_to"] and str(r["valid_to"]), r["price_source"])
            for r in prices["table"] if r["price_key"] == key]


def test_the_api_price_replaces_the_seed_from_its_effective_date(prices):
    assert periods(prices, "ec2:m5.large:linux") == [(0.1, "2024-02-01", "2025-12-01", "seed"),
                                                     (0.2, "2025-12-01", None, "price_list_api")]


def test_the_seed_prices_what_the_api_did_not_answer_and_the_api_what_the_seed_lacks(prices):
    assert periods(prices, "ec2:m6i.large:linux") == [(0.15, "2024-02-01", None, "seed")]
    assert periods(prices, "ec2:t3.micro:linux") == [(0.3, "2025-12-01", None, "price_list_api")]


def test_an_override_wins_over_the_api_from_its_date(prices):
    assert periods(prices, "ec2:r5.large:linux") == [(0.11, "2024-02-01", "2026-06-01", "seed"),
                                                     (0.4, "2026-06-01", "2026-09-01", "price_list_api"),
                                                     (0.09, "2026-09-01", None, "seed_override")]


def test_the_latest_asking_of_the_same_effective_date_counts(prices):
    assert [(r["usd"], r["sku"]) for r in prices["table"] if r["price_key"] == "ec2:c5.large:linux"] == [(0.6, "NEW")]


def test_a_failed_asking_keeps_the_earlier_price_and_is_a_gap_with_its_reason(prices):
    assert [(g["price_key"], g["status"], g["reason"]) for g in prices["gaps"]] == [
        ("ec2:t3.micro:linux", "error", "AccessDenied")]
