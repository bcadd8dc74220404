"""The waste marts on the demo world (tests/conftest.py's `demo_world`): marts.waste, marts.waste_summary, their
int_waste__* models, and the price and threshold seeds (test_data_dictionary.py runs their pages' examples).

Expected findings come from outside the models: the demo estate's own sizes, types and ages (demo/estate.py
and what estate.seed returned), priced here from include/config/seeds/prices.csv with Python, never copied
from the mart.
"""
from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud_inventory.demo import estate

from .conftest import PROJECT_ROOT, build_world, rows

PROD, STAGING, DEV = estate.PROD, estate.STAGING, estate.DEV
US, EU = estate.US, estate.EU
SEEDS = PROJECT_ROOT / "include" / "config" / "seeds"
MODELS = ("intermediate/int_aws__source_snapshots.sql", "intermediate/int_waste__*.sql",
          "intermediate/int_pricing__*.sql", "marts/waste.sql",
          "marts/waste_summary.sql")
DICTIONARY = PROJECT_ROOT / "docs" / "data-dictionary"
CATEGORIES = {"stopped_instance", "unattached_volume", "unassociated_eip", "orphaned_snapshot", "old_snapshot",
              "gp2_volume", "idle_instance", "idle_rds_instance", "idle_load_balancer", "log_group_no_retention",
              "idle_nat_gateway"}


def price(key: str, region: str, seeds: Path = SEEDS) -> Decimal:
    with open(seeds / "prices.csv", newline="") as f:
        (found,) = [row["usd"] for row in csv.DictReader(f) if row["price_key"] == key and row["region"] == region]
    return Decimal(found)


def threshold(name: str) -> Decimal:
    with open(SEEDS / "waste_thresholds.csv", newline="") as f:
        (found,) = [row["value"] for row in csv.DictReader(f) if row["name"] == name]
    return Decimal(found)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_findings() -> dict[tuple[str, str, str, str], Decimal]:
    """(category, account, region, resource name) -> monthly dollars, for every waste case the demo plants.

    Sizes, types and instance classes are the estate's (demo/estate.py); an instance's root volume is 8 GiB
    gp3 unless the estate says otherwise.
    """
    hours = threshold("hours_per_month")

    def ebs(region: str, *volumes: tuple[int, str]) -> Decimal:
        return sum((size * price(f"ebs:{kind}:storage", region) for size, kind in volumes), Decimal(0))

    def hourly(key: str, region: str = US) -> Decimal:
        return hours * price(key, region)

    snapshot = price("ebs:snapshot:standard", US)
    found = {
        # long-stopped instances (backdated 45/60/35 days): their volumes' storage
        ("stopped_instance", PROD, US, "prod-batch-worker"): ebs(US, (8, "gp3"), (200, "gp2")),
        ("stopped_instance", PROD, US, "prod-reporting-old"): ebs(US, (8, "gp2"), (500, "gp2")),
        ("stopped_instance", STAGING, US, "stg-perf-runner"): ebs(US, (8, "gp3"), (100, "gp2")),
        # unattached volumes (all gp2 but the last day's): their storage
        ("unattached_volume", PROD, US, "prod-migration-scratch"): ebs(US, (50, "gp2")),
        ("unattached_volume", PROD, US, "prod-archive-2023"): ebs(US, (200, "gp2")),
        ("unattached_volume", PROD, EU, "prod-eu-restore-test"): ebs(EU, (80, "gp2")),
        ("unattached_volume", STAGING, US, "stg-old-test-data"): ebs(US, (100, "gp2")),
        # created unattached on the last day (new for the digest of what is new)
        ("unattached_volume", PROD, US, "prod-export-scratch"): ebs(US, (300, "gp3")),
        # the only gp2 volume not already counted whole: dev-gpu-experiment's root (stopped under 30 days)
        ("gp2_volume", DEV, US, "dev-gpu-experiment-vol"): 100 * (price("ebs:gp2:storage", US)
                                                                   - price("ebs:gp3:storage", US)),
        ("unassociated_eip", PROD, US, "prod-old-vpn-eip"): hourly("vpc:public-ipv4"),
        ("unassociated_eip", PROD, EU, "prod-eu-spare-eip"): hourly("vpc:public-ipv4", EU),
        ("unassociated_eip", DEV, US, "dev-test-eip"): hourly("vpc:public-ipv4"),
        # a snapshot of a deleted 300 GiB volume (200 days old); a 400-day-old one of prod-archive-2023
        ("orphaned_snapshot", PROD, US, "prod-decommissioned-db-final"): 300 * snapshot,
        ("old_snapshot", PROD, US, "prod-archive-2023"): 200 * snapshot,
        # CPU kept under 5 % by _put_cpu
        ("idle_instance", PROD, US, "prod-analytics-idle"): hourly("ec2:m5.xlarge:linux"),
        ("idle_instance", PROD, US, "prod-bastion"): hourly("ec2:t3.micro:linux"),
        ("idle_instance", STAGING, US, "stg-qa-windows"): hourly("ec2:t3.large:windows"),
        ("idle_instance", DEV, US, "dev-sandbox-1"): hourly("ec2:t3.micro:linux"),
        ("idle_rds_instance", PROD, US, "prod-reporting-db"): hourly("rds:db.t3.medium:mysql:single-az"),
        # prod-promo-tg never had targets; stg-web-tg lost its only one when day 2 terminated stg-web-1
        ("idle_load_balancer", PROD, US, "prod-promo-alb"): hourly("elb:application"),
        ("idle_load_balancer", STAGING, US, "stg-web-alb"): hourly("elb:application"),
        # a month of NAT gateway hours: nothing through stg-nat-a for the 14 days (prod-nat-a is busy)
        ("idle_nat_gateway", STAGING, US, "stg-nat-a"): hourly("nat:hour"),
    }
    # log groups without retention: moto stores no bytes, a real $0.00
    for account, region, name in ((PROD, US, "/app/prod/web"), (PROD, US, "/app/prod/legacy-batch"),
                                  (PROD, EU, "/app/prod-eu/web"), (STAGING, US, "/app/staging/web"),
                                  (STAGING, EU, "/app/staging-eu/app"), (DEV, US, "/aws/lambda/dev-hello"),
                                  (DEV, US, "/dev/scratch")):
        found[("log_group_no_retention", account, region, name)] = 0 * price("logs:storage", region)
    return {key: cents(value) for key, value in found.items()}


def by_key(waste: list[dict]) -> dict[tuple, dict]:
    return {(r["category"], r["account_id"], r["region"], r["resource_name"]): r for r in waste}


@pytest.fixture(scope="module")
def built(demo_world, tmp_path_factory):
    root = tmp_path_factory.mktemp("waste")
    result = build_world(demo_world, root, *MODELS)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield {"con": con, "result": result, "world": demo_world}
    con.close()


@pytest.fixture(scope="module")
def con(built):
    return built["con"]


@pytest.fixture(scope="module")
def waste(con) -> list[dict]:
    return rows(con, "select * from marts.waste")


def test_builds_every_model_and_records_its_time(built):
    stats = {r["model"]: r for r in rows(built["con"], "select * from meta.model_stats where layer <> 'staging'")}
    expected = {"intermediate.int_aws__source_snapshots", "marts.waste", "marts.waste_summary"}
    expected |= {f"intermediate.{path.stem}" for pattern in ("int_waste__*.sql", "int_pricing__*.sql")
                 for path in (PROJECT_ROOT / "include" / "sql" / "intermediate").glob(pattern)}
    assert set(stats) == expected
    for model in ("marts.waste", "marts.waste_summary", "intermediate.int_waste__prices",
                  "intermediate.int_waste__thresholds"):
        assert stats[model]["materialized"] == "table" and stats[model]["rows"] > 0
        assert stats[model]["seconds"] < 10


def test_every_planted_waste_case_is_found_once_with_its_price_and_nothing_else(waste):
    expected = expected_findings()
    keys = [(r["category"], r["account_id"], r["region"], r["resource_name"]) for r in waste]
    assert len(keys) == len(set(keys)), "a resource is listed twice in one category"
    assert set(keys) == set(expected)
    assert {r["category"] for r in waste} <= CATEGORIES
    for key, row in by_key(waste).items():
        assert row["price_known"] is True and row["unpriced_price_keys"] == [], key
        assert row["est_monthly_usd"] == expected[key], key
        # dev's role was denied on the last day: its findings are as last seen, and marked stale
        assert row["is_stale"] is (row["account_id"] == DEV), key
        assert row["observed_on"] == (row["as_of_date"] - timedelta(days=1) if row["is_stale"] else row["as_of_date"])
        assert row["account_name"] == estate.DEMO_ACCOUNTS[row["account_id"]]


def test_resource_ids_ages_and_details_follow_the_estate(built, waste):
    changes = built["world"]["changes"]
    instances = changes[0]["instances"]
    found = by_key(waste)
    as_of = built["world"]["days"][-1]
    for name, days, account, volumes in (("prod-batch-worker", 45, PROD, "2 volumes 208 GiB (gp2 200 GiB, gp3 8 GiB)"),
                                         ("prod-reporting-old", 60, PROD, "2 volumes 508 GiB (gp2 508 GiB)"),
                                         ("stg-perf-runner", 35, STAGING, "2 volumes 108 GiB (gp2 100 GiB, gp3 8 GiB)")):
        row = found[("stopped_instance", account, US, name)]
        assert row["resource_id"] == instances[f"{account}/{US}/{name}"]
        assert row["wasteful_since"] == as_of - timedelta(days=days) and row["days_wasteful"] == days
        assert row["detail"].startswith(f"stopped {days} days (") and row["detail"].endswith(volumes)
        assert len(row["includes_resource_ids"]) == 2 and row["also_matches"] == ["gp2_volume"]
    for name in ("prod-analytics-idle", "prod-bastion"):
        assert found[("idle_instance", PROD, US, name)]["resource_id"] == instances[f"{PROD}/{US}/{name}"]
    daily, orphan, old = changes[0]["snapshots"]
    assert found[("orphaned_snapshot", PROD, US, "prod-decommissioned-db-final")]["resource_id"] == orphan
    assert found[("orphaned_snapshot", PROD, US, "prod-decommissioned-db-final")]["days_wasteful"] == 200
    assert found[("old_snapshot", PROD, US, "prod-archive-2023")]["resource_id"] == old
    assert found[("old_snapshot", PROD, US, "prod-archive-2023")]["days_wasteful"] == 400
    assert daily not in {r["resource_id"] for r in waste}
    # the AMI's snapshot: its volume is gone too, but an AMI uses it
    assert not {r["resource_id"] for r in waste} & set(changes[0]["amis"])
    stg_web = found[("idle_load_balancer", STAGING, US, "stg-web-alb")]
    assert stg_web["wasteful_since"] == as_of and "last seen with targets" in stg_web["detail"]
    assert changes[2]["terminated"] == instances[f"{STAGING}/{US}/stg-web-1"]
    assert found[("idle_load_balancer", PROD, US, "prod-promo-alb")]["detail"].startswith(
        "application load balancer (internet-facing): 1 target group, no registered targets")
    # the 500 GiB prod-orphan-data volume was deleted on day 1: gone, not waste
    assert not [r for r in waste if r["resource_name"] == "prod-orphan-data"]
    # teams: the resource's team tag, else (log groups carry none) the account's
    assert found[("idle_instance", PROD, US, "prod-analytics-idle")]["team"] == "data"
    assert found[("log_group_no_retention", PROD, US, "/app/prod/web")]["team"] == "platform"


def test_overlapping_savings_are_folded_into_one_row(con, waste):
    found = by_key(waste)
    for name, region, account in (("prod-migration-scratch", US, PROD), ("prod-archive-2023", US, PROD),
                                  ("prod-eu-restore-test", EU, PROD), ("stg-old-test-data", US, STAGING)):
        assert found[("unattached_volume", account, region, name)]["also_matches"] == ["gp2_volume"]
    assert found[("orphaned_snapshot", PROD, US, "prod-decommissioned-db-final")]["also_matches"] == ["old_snapshot"]
    # every current gp2 volume is counted exactly once: as its own gp2_volume row or inside another row
    current_gp2 = {volume_id for (volume_id,) in con.execute(
        "select volume_id from intermediate.int_waste__ebs_volumes where volume_type = 'gp2'").fetchall()}
    assert len(current_gp2) == 9
    counted = [r["resource_id"] for r in waste if r["category"] == "gp2_volume"]
    counted += [i for r in waste if "gp2_volume" in r["also_matches"] for i in r["includes_resource_ids"]
                if i in current_gp2]
    assert sorted(counted) == sorted(current_gp2)
    # no resource's cost is inside two rows
    included = [(r["account_id"], i) for r in waste for i in r["includes_resource_ids"]]
    assert len(included) == len(set(included))


def test_summary_totals_are_the_sums_of_the_waste_rows(con, waste):
    summary = {(r["account_id"], r["category"]): r for r in rows(con, "select * from marts.waste_summary")}
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in waste:
        for key in ((r["account_id"], r["category"]), (r["account_id"], "TOTAL"), ("ALL", r["category"]),
                    ("ALL", "TOTAL")):
            groups[key].append(r)
    assert set(summary) == set(groups)
    for key, members in groups.items():
        row = summary[key]
        monthly = sum((m["est_monthly_usd"] for m in members if m["price_known"]), Decimal(0))
        assert row["resources"] == len(members), key
        assert row["est_monthly_usd"] == monthly and row["est_annual_usd"] == monthly * 12, key
        assert row["unpriced_resources"] == 0 and row["priced_resources"] == len(members), key
        assert row["stale_resources"] == sum(m["is_stale"] for m in members), key
    assert summary[("ALL", "TOTAL")]["row_kind"] == "grand_total"
    assert summary[("ALL", "TOTAL")]["est_monthly_usd"] == sum(expected_findings().values())
    assert summary[(DEV, "TOTAL")]["stale_resources"] == summary[(DEV, "TOTAL")]["resources"] == 5


def test_an_unknown_price_is_null_and_flagged_and_prices_follow_their_dates(built, waste, tmp_path):
    as_of = built["world"]["days"][-1]
    missing = {("ec2:m5.xlarge:linux", US), ("vpc:public-ipv4", EU)}
    # neither source prices the two keys: not the seed, not the Price List answers in (a copy of) the lake
    lake = tmp_path / "lake"
    shutil.copytree(Path(built["world"]["env"]["INVENTORY_DATA_DIR"]) / "lake", lake)
    answers = sorted((lake / "raw" / "aws_pricing" / "prices").glob("dt=*/part-0.parquet"))
    assert answers
    for path in answers:
        table = pq.read_table(path)
        kept = [row for row in table.to_pylist() if (row["price_key"], row["region"]) not in missing]
        assert len(kept) == table.num_rows - 2
        pq.write_table(pa.Table.from_pylist(kept, schema=table.schema), path)
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    with open(SEEDS / "prices.csv", newline="") as f:
        reader = csv.DictReader(f)
        fields, table = reader.fieldnames, list(reader)
    kept = [r for r in table if (r["price_key"], r["region"]) not in missing]
    assert len(kept) == len(table) - 2
    with open(seeds / "prices.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    # later prices, as overrides (they win over the Price List from their date on)
    later = {"service": "elb", "region": US, "unit": "hour", "source": "test", "note": "test"}
    with open(seeds / "price_overrides.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows([{**later, "price_key": "elb:application", "usd": "0.03", "effective_date": str(as_of)},
                          {**later, "price_key": "elb:network", "usd": "9", "effective_date": str(as_of)},
                          {**later, "price_key": "ebs:gp2:storage", "unit": "GB-month", "usd": "9",
                           "effective_date": str(as_of + timedelta(days=1))}])

    world = {**built["world"], "env": {**built["world"]["env"], "INVENTORY_LAKE_URI": str(lake)}}
    result = build_world(world, tmp_path, *MODELS, seeds_dir=seeds)
    with duckdb.connect(str(result.warehouse), read_only=True) as other:
        changed = by_key(rows(other, "select * from marts.waste"))
        summary = {(r["account_id"], r["category"]): r for r in rows(other, "select * from marts.waste_summary")}
    before = by_key(waste)
    assert set(changed) == set(before)
    unknown = {("idle_instance", PROD, US, "prod-analytics-idle"): "ec2:m5.xlarge:linux",
               ("unassociated_eip", PROD, EU, "prod-eu-spare-eip"): "vpc:public-ipv4"}
    for key, row in changed.items():
        if key in unknown:
            assert row["est_monthly_usd"] is None and row["price_known"] is False, key
            assert row["unpriced_price_keys"] == [unknown[key]] and "no price" in row["cost_breakdown"]
            assert row["unpriced_reason"] == f"no price for {unknown[key]} in {key[2]} per hour"
        elif key[0] == "idle_load_balancer":  # a price effective on the as-of date replaces the older one
            assert row["est_monthly_usd"] == cents(threshold("hours_per_month") * Decimal("0.03")), key
        else:  # a price effective only after the as-of date does not apply yet
            assert row["est_monthly_usd"] == before[key]["est_monthly_usd"] and row["price_known"], key
            assert row["unpriced_reason"] is None
    assert summary[(PROD, "idle_instance")]["unpriced_resources"] == 1
    assert summary[(PROD, "idle_instance")]["est_monthly_usd"] == before[("idle_instance", PROD, US, "prod-bastion")][
        "est_monthly_usd"]
    assert summary[("ALL", "TOTAL")]["unpriced_resources"] == 2
    assert summary[("ALL", "TOTAL")]["priced_resources"] == len(changed) - 2


def test_a_missing_threshold_fails_the_build_naming_it(built, tmp_path):
    from cloud_inventory.warehouse.models import ModelError

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    lines = (seeds / "waste_thresholds.csv").read_text().splitlines(keepends=True)
    (seeds / "waste_thresholds.csv").write_text("".join(l for l in lines if not l.startswith("old_snapshot_min_days")))
    with pytest.raises(ModelError, match="int_waste__thresholds.*has no old_snapshot_min_days"):
        build_world(built["world"], tmp_path, *MODELS, seeds_dir=seeds)


# --- data dictionary ----------------------------------------------------------------------------------

def test_data_dictionary_names_every_category_and_threshold():
    text = (DICTIONARY / "waste.md").read_text()
    for category in CATEGORIES:
        assert f"`{category}`" in text
    with open(SEEDS / "waste_thresholds.csv", newline="") as f:
        for row in csv.DictReader(f):
            assert f"`{row['name']}`" in text
