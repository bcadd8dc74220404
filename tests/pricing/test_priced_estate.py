"""Dollars outside the seed's regions: an estate in us-west-2 and ap-southeast-2 (tests/pricing/estate.py) seeded
through the emulator, extracted, priced by the aws_prices work from the emulator's Price List API, and built into
marts.waste. Expected dollars come from the emulator's price table (demo/price_list.csv) and the estate's own
sizes, computed here, never read from the mart."""
from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pyarrow.parquet as pq
import pytest

from cloud_inventory.demo import price_list
from cloud_inventory.demo.emulator import Emulator
from warehouse.conftest import model_folder, rows

from . import estate

MODELS = ("intermediate/int_aws__source_snapshots.sql", "intermediate/int_waste__*.sql",
          "intermediate/int_pricing__*.sql", "marts/waste.sql",
          "marts/waste_summary.sql")
HOURS = Decimal(730)


def table_price(key: str, region: str) -> Decimal:
    with open(price_list.DATA, newline="") as f:
        (found,) = [r["usd"] for r in csv.DictReader(f) if r["price_key"] == key and r["region"] == region]
    return Decimal(found)


def volumes_cost(region: str, volumes) -> Decimal:
    total = Decimal(0)
    for size, kind, iops, throughput in volumes:
        total += size * table_price(f"ebs:{kind}:storage", region)
        if kind == "gp3" and iops and iops > 3000:
            total += (iops - 3000) * table_price("ebs:gp3:iops", region)
        if kind == "gp3" and throughput and throughput > 125:
            total += (throughput - 125) * table_price("ebs:gp3:throughput", region)
        if kind in ("io1", "io2"):
            total += iops * table_price(f"ebs:{kind}:iops", region)
    return total


def expected_dollars(category: str, region: str, facts: dict) -> Decimal | None:
    if category in ("unattached_volume", "stopped_instance"):
        value = volumes_cost(region, facts["volumes"])
    elif category == "unassociated_eip":
        value = HOURS * table_price("vpc:public-ipv4", region)
    elif category in ("orphaned_snapshot", "old_snapshot"):
        value = facts["gib"] * table_price("ebs:snapshot:standard", region)
    elif category == "gp2_volume":
        value = facts["gib"] * (table_price("ebs:gp2:storage", region) - table_price("ebs:gp3:storage", region))
    elif category == "log_group_no_retention":
        value = Decimal(0)  # moto stores no bytes
    elif facts["key"].endswith(":spot"):
        return None
    else:
        value = HOURS * table_price(facts["key"], region)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    root = tmp_path_factory.mktemp("priced-estate")
    day = datetime.now(timezone.utc).date()
    with Emulator(in_process=True) as emulator, pytest.MonkeyPatch.context() as patch:
        planted = estate.seed(emulator.url)
        patch.setenv("AWS_ENDPOINT_URL", emulator.url)
        patch.setenv("INVENTORY_DATA_DIR", str(root))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(estate.accounts_file(root / "accounts.yaml")))
        patch.setenv("INVENTORY_WAREHOUSE_PATH", str(root / "warehouse.duckdb"))
        from cloud_inventory import settings as inventory_settings
        from cloud_inventory.accounts import load as load_accounts
        from cloud_inventory.aws.extractor import extract_pair
        from cloud_inventory.lake import Lake
        from cloud_inventory.pipeline import aws_prices
        from cloud_inventory.warehouse.runner import build

        settings = inventory_settings.load()
        lake = Lake(settings.lake_uri)
        for account in load_accounts(settings.accounts_file).accounts:
            for region in account.regions:
                extract_pair(account, region, settings, lake, day, "priced-estate")
        summary = aws_prices.run(settings, day)
        build(settings, sql_dir=model_folder(root, *MODELS))
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    yield {"planted": planted, "summary": summary, "con": con, "root": root, "day": day,
           "waste": rows(con, "select * from marts.waste")}
    con.close()


def test_every_planted_finding_is_found_and_priced_exactly_from_the_price_list(priced):
    found = {}
    for row in priced["waste"]:
        name = "busy-gp2-root-root" if row["category"] == "gp2_volume" else row["resource_name"]
        found[(row["category"], row["region"], name)] = row
    assert set(found) == set(priced["planted"])
    assert {region for _, region, _ in found} == set(estate.REGIONS)
    for key, facts in priced["planted"].items():
        row = found[key]
        assert row["est_monthly_usd"] == expected_dollars(key[0], key[1], facts), (key, row["cost_breakdown"])
    sydney = found[("unattached_volume", "ap-southeast-2", "data-gp3-fast")]
    # 100 GB x $0.096 + 3,000 IOPS above the free 3,000 x $0.006 + 125 MiB/s above 125 x $49.152/1024
    assert sydney["est_monthly_usd"] == Decimal("33.60") and sydney["price_known"]
    assert "125 MBps-month x $0.0480 (ebs:gp3:throughput)" in sydney["cost_breakdown"]


def test_at_least_99_percent_of_findings_are_priced_and_the_unpriced_one_says_why(priced):
    waste = priced["waste"]
    unpriced = [row for row in waste if not row["price_known"]]
    assert len(waste) >= 100 and (len(waste) - len(unpriced)) / len(waste) >= 0.99
    (spot,) = unpriced
    assert spot["resource_name"] == "idle-spot" and spot["est_monthly_usd"] is None
    assert spot["unpriced_price_keys"] == ["ec2:m5.large:linux:spot"]
    assert spot["unpriced_reason"] == ("no price for ec2:m5.large:linux:spot in us-west-2: spot instances have no "
                                       "list price (the spot price moves hourly)")
    assert all(row["unpriced_reason"] is None for row in waste if row["price_known"])
    summary = rows(priced["con"], "select * from marts.waste_summary where account_id = 'ALL'")
    assert [r["unpriced_resources"] for r in summary if r["category"] == "TOTAL"] == [1]


def test_the_prices_table_names_the_api_its_sku_and_dates(priced):
    prices = rows(priced["con"], "select * from intermediate.int_waste__prices where region = 'ap-southeast-2' "
                                 "and price_key = 'ec2:m5.xlarge:linux'")
    (row,) = prices
    assert row["price_source"] == "price_list_api" and row["usd"] == 0.24 and row["unit"] == "hour"
    assert row["valid_from"] == date(2025, 12, 1) and row["valid_to"] is None
    assert row["sku"] and f"SKU {row['sku']}" in row["source"] and "price list of 2026-11-01" in row["source"]
    assert row["price_list_published_at"] == datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_the_lake_dataset_holds_each_key_asked_with_its_answer(priced):
    day = priced["day"]
    table = pq.read_table(priced["root"] / "lake" / "raw" / "aws_pricing" / "prices" / f"dt={day}" / "part-0.parquet")
    by_key = {(r["price_key"], r["region"]): r for r in table.to_pylist()}
    assert priced["summary"]["keys"] == len(by_key) == table.num_rows
    throughput = by_key[("ebs:gp3:throughput", "ap-southeast-2")]
    assert (throughput["status"], throughput["api_unit"], throughput["api_usd"], throughput["usd"]) == (
        "priced", "GiBps-mo", 49.152, 49.152 / 1024)
    assert throughput["usagetype"] == "APS2-EBS:VolumeP-Throughput.gp3" and throughput["products_matched"] == 1
    assert throughput["effective_date"] == date(2025, 12, 1) and throughput["snapshot_date"] == day
    nat = by_key.get(("nat:hour", "us-west-2"))
    assert nat is None  # no NAT gateway in this estate: not asked
    spot = by_key[("ec2:m5.large:linux:spot", "us-west-2")]
    assert spot["status"] == "unpriceable" and spot["usd"] is None and "spot" in spot["reason"]
    # the next smaller size of each instance type is priced too (rightsizing's proposals); a family's missing sizes
    # are skipped: m5 has no medium, so m5.large is the one below m5.xlarge
    assert by_key[("ec2:m5.large:linux", "ap-southeast-2")]["usd"] == 0.12
    assert ("ec2:m5.medium:linux", "ap-southeast-2") not in by_key
    assert by_key[("rds:db.t3.small:mysql:single-az", "us-west-2")]["usd"] == 0.034
    # io2's second IOPS tier is a product of its own: the query takes the first
    assert by_key[("ebs:io2:iops", "us-west-2")]["usagetype"] == "USW2-EBS:VolumeP-IOPS.io2"
    assert set(table.column("status").to_pylist()) == {"priced", "unpriceable"}
