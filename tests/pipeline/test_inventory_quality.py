"""inventory_quality's work on a small crafted lake: the freshness arithmetic at its edges, the results
tables, and the digest through a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.aws.registry import types_for
from cloud_inventory.k8s.ledger import write_ledger
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import Outcome, write_manifest
from cloud_inventory.pipeline import inventory_quality as work
from cloud_inventory.warehouse.runner import build
from cloud_inventory.demo.mailsink import SmtpSink, html_of

PROJECT_ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)  # when A's and C's last snapshots finished
ACCOUNTS = """
accounts:
  - {id: "111111111111", name: alpha, role_name: R, external_id: ext-1, regions: [us-east-1]}
  - {id: "222222222222", name: bravo, role_name: R, external_id: ext-1, regions: [us-east-1]}
clusters:
  - {name: c1, account_id: "111111111111", region: us-east-1, dump_interval_minutes: 15, stale_after_minutes: 45}
  - {name: c2, account_id: "222222222222", region: us-east-1}
"""
# account 333333333333 was in the config once: its manifests stay in the lake, it must not be reported


@dataclass
class Check:
    check: str
    table: str
    status: str
    observed_value: str
    details: str | None = None


def passing(*_):
    return [Check("expect_column_values_to_not_be_null(resource_id)", "staging.stg_aws__vpcs", "pass", "0 null")]


def failing(*_):
    return passing() + [Check("expect_compound_columns_to_be_unique(account_id, region, snapshot_date, "
                              "resource_id)", "staging.stg_aws__ec2_instances", "fail", "1 duplicate: i-1")]


def outcomes(status: str, at: datetime, error: str | None = None) -> dict:
    """Manifest outcomes for every type of each scope, finished at `at`."""
    made = {}
    for scope in ("regional", "global"):
        made[scope] = [Outcome(entry.name, status=status, started_at=at - timedelta(minutes=1), finished_at=at,
                               error_class=error and "AssumeRole.AccessDenied", error_message=error)
                       for entry in types_for(scope)]
    return made


@pytest.fixture
def world(monkeypatch, tmp_path):
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(ACCOUNTS)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    settings = inventory_settings.load()
    lake = Lake(settings.lake_uri)
    day = T0.date()

    def manifests(account: str, name: str, snapshot_day, made: dict) -> None:
        write_manifest(lake, snapshot_date=snapshot_day, run_id="r", account_id=account, account_name=name,
                       region="us-east-1", outcomes=made["regional"])
        write_manifest(lake, snapshot_date=snapshot_day, run_id="r", account_id=account, account_name=name,
                       region="global", outcomes=made["global"])

    manifests("111111111111", "alpha", day, outcomes("ok", T0))
    manifests("222222222222", "bravo", day - timedelta(days=1), outcomes("ok", T0 - timedelta(days=1)))
    manifests("222222222222", "bravo", day, outcomes("failed", T0 + timedelta(minutes=5), "role denied"))
    manifests("333333333333", "charlie", day, outcomes("ok", T0))
    dump_at = T0 - timedelta(minutes=10)
    write_ledger(lake, "c1", [{"cluster": "c1", "account_id": "111111111111", "region": "us-east-1",
                               "key": f"dumps/cluster=c1/dt={day}/x.json.gz", "etag": "e", "size": 1,
                               "dump_at": dump_at, "snapshot_date": day, "status": "ok", "rows": 3,
                               "table_rows": {"pod": 3}, "run_id": "r", "attempts": 1, "started_at": T0,
                               "finished_at": T0, "seconds": 0.1}])
    sql = tmp_path / "sql"
    (sql / "intermediate").mkdir(parents=True)
    (sql / "marts").mkdir()
    (sql / "staging").symlink_to(PROJECT_ROOT / "include/sql/staging", target_is_directory=True)
    shutil.copy(PROJECT_ROOT / "include/sql/marts/source_freshness.sql", sql / "marts")
    build(settings, sql_dir=sql, as_of=T0)
    return {"settings": settings, "sql": sql, "dump_at": dump_at, "lake": lake}


def freshness(settings) -> dict:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cursor = con.execute("select source, status, status_since, threshold_minutes, last_error "
                             "from marts.source_freshness")
        return {row[0]: row[1:] for row in cursor.fetchall()}


def evaluate(world, as_of: datetime, expectations=passing, run_id: str = "q1") -> dict:
    return work.evaluate(world["settings"], run_id, expectations=expectations, as_of=as_of, sql_dir=world["sql"])


N_TYPES = len(types_for("regional")) + len(types_for("global"))


def test_one_row_per_expected_source_and_none_for_sources_removed_from_the_config(world):
    evaluate(world, T0 + timedelta(hours=1))
    rows = freshness(world["settings"])
    assert len(rows) == 2 * N_TYPES + 2
    assert not [source for source in rows if source.startswith("333333333333")]
    assert rows["111111111111/us-east-1/ec2_instance"][:1] == ("fresh",)
    assert rows["111111111111/global/s3_bucket"][:1] == ("fresh",)


def test_a_source_whose_latest_attempt_failed_is_failing_since_that_attempt(world):
    evaluate(world, T0 + timedelta(hours=1))
    status, since, _, error = freshness(world["settings"])["222222222222/us-east-1/vpc"]
    assert (status, since) == ("failing", T0 + timedelta(minutes=5)) and "role denied" in error


@pytest.mark.parametrize("after, expected", [(timedelta(hours=36), "fresh"),
                                             (timedelta(hours=36, seconds=1), "stale")])
def test_exactly_at_the_threshold_is_fresh_and_one_second_later_stale(world, after, expected):
    evaluate(world, T0 + after)
    status, since, threshold, _ = freshness(world["settings"])["111111111111/us-east-1/vpc"]
    assert (status, threshold) == (expected, 36 * 60)
    assert since == (T0 + timedelta(hours=36) if expected == "stale" else None)


def test_clusters_use_their_own_threshold_and_one_never_seen_is_never(world):
    dump_at = world["dump_at"]
    evaluate(world, dump_at + timedelta(minutes=45))
    rows = freshness(world["settings"])
    assert rows["cluster/c1"][:1] == ("fresh",) and rows["cluster/c1"][2] == 45
    assert rows["cluster/c2"][:1] == ("never",) and rows["cluster/c2"][2] == 45  # three missed 15-minute dumps
    evaluate(world, dump_at + timedelta(minutes=45, seconds=1), run_id="q2")
    assert freshness(world["settings"])["cluster/c1"][:2] == ("stale", dump_at + timedelta(minutes=45))


def test_results_are_recorded_per_run(world):
    summary = evaluate(world, T0 + timedelta(hours=1), expectations=failing)
    # bravo's types failing, c1 stale (70 minutes since its dump), c2 never seen
    assert summary["failed_checks"] == 1 and summary["sources_not_fresh"] == N_TYPES + 2
    with duckdb.connect(str(world["settings"].warehouse_path), read_only=True) as con:
        rows = con.execute("select check_name, status, count(*) from dq.check_results where run_id = 'q1' "
                           "group by all order by all").fetchall()
    assert rows == [("expect_column_values_to_not_be_null(resource_id)", "pass", 1),
                    ("expect_compound_columns_to_be_unique(account_id, region, snapshot_date, resource_id)",
                     "fail", 1),
                    ("source_freshness", "fail", N_TYPES + 2), ("source_freshness", "pass", N_TYPES)]


@pytest.fixture
def sink(monkeypatch):
    with SmtpSink() as running:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", running.connection_uri())
        monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com")
        yield running


def test_the_digest_names_exactly_the_failing_account_and_the_silent_cluster(world, sink):
    evaluate(world, T0 + timedelta(minutes=20), expectations=failing)  # c1 dumped 30 minutes before: fresh
    outcome = work.send_digest(inventory_settings.load(), "q1")

    (message,) = sink.messages
    assert outcome["sent_to"] == ["oncall@example.com"] and message["Subject"] == outcome["subject"]
    # bravo's every resource type failing (its role is denied), c2 never dumped
    assert message["Subject"] == f"[cloud-inventory] quality: {N_TYPES} failing, 1 never source(s); 1 failed check(s)"
    body = html_of(message)
    assert "bravo 222222222222" in body and "cluster c2" in body and "role denied" in body
    assert "alpha 111111111111" not in body and "cluster c1" not in body and "333333333333" not in body
    assert "1 duplicate: i-1" in body


def test_no_email_when_all_is_well(world, sink, monkeypatch, tmp_path):
    accounts = tmp_path / "only-alpha.yaml"
    accounts.write_text(ACCOUNTS.replace('''  - {id: "222222222222", name: bravo, role_name: R, external_id: ext-1, regions: [us-east-1]}\n''', "")
                        .split("  - {name: c2")[0])
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(accounts))
    settings = inventory_settings.load()
    world = {**world, "settings": settings}
    evaluate(world, world["dump_at"] + timedelta(minutes=30))
    outcome = work.send_digest(settings, "q1")
    assert sink.messages == [] and outcome["subject"] is None and "no email" in outcome["note"]


def test_a_quarantined_dump_is_in_the_next_digest_once(world, sink):
    entry = {"cluster": "c1", "account_id": "111111111111", "region": "us-east-1", "key": "dumps/cluster=c1/bad.json",
             "etag": "b", "size": 0, "dump_at": None, "snapshot_date": None, "status": "quarantined", "rows": 0,
             "table_rows": {}, "error_class": "DumpError", "error_message": "empty dump: the object has no bytes",
             "quarantine_uri": "s3://drop/dumps/quarantine/cluster=c1/bad.json", "run_id": "r", "attempts": 1,
             "started_at": T0, "finished_at": T0 + timedelta(minutes=2), "seconds": 0.1}
    from cloud_inventory.k8s.ledger import read_ledger

    write_ledger(world["lake"], "c1", read_ledger(world["lake"], "c1") + [entry])
    build(world["settings"], sql_dir=world["sql"], as_of=T0 + timedelta(minutes=3))
    evaluate(world, T0 + timedelta(minutes=3), run_id="q1")
    work.send_digest(inventory_settings.load(), "q1")
    evaluate(world, T0 + timedelta(minutes=63), run_id="q2")
    work.send_digest(inventory_settings.load(), "q2")

    first, second = sink.messages
    assert "1 quarantined dump(s)" in first["Subject"] and "empty dump" in html_of(first)
    assert "quarantined" not in second["Subject"]


def test_the_data_dictionary_examples_run(world):
    import re

    evaluate(world, T0 + timedelta(hours=1), expectations=failing)
    page = (PROJECT_ROOT / "docs/data-dictionary/source_freshness.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", page, re.S)
    with duckdb.connect(str(world["settings"].warehouse_path), read_only=True) as con:
        counts = [len(con.execute(block).fetchall()) for block in blocks]
    assert counts == [N_TYPES + 2, 2, 1]
