"""The model runner on small crafted lakes and model folders: order from references, atomic replace,
incremental staging and incremental models over models, clear errors naming the model and file, an empty lake."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.aws.transform import AWS_SCHEMA
from cloud_inventory.lake import Lake
from cloud_inventory.warehouse.models import ModelError, discover
from cloud_inventory.warehouse.runner import build
from cloud_inventory.warehouse.sources import lake_sources

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STAGING = """
with source as (select * from lake_aws_ebs_volume)
select resource_id as volume_id, account_id, cast(raw ->> '$.Size' as integer) as size_gib, snapshot_date
from source
"""
MART = """
with volumes as (select * from staging.stg_volumes)
select snapshot_date, count(*) as volumes, sum(size_gib) as gib from volumes group by all
"""


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    return tmp_path


def models(root: Path, **files: str) -> Path:
    """A model folder: keyword `layer__name` -> SQL."""
    for key, sql in files.items():
        layer, name = key.split("__", 1)
        path = root / "sql" / layer / f"{name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(sql))
    for layer in ("staging", "intermediate", "marts"):
        (root / "sql" / layer).mkdir(parents=True, exist_ok=True)
    return root / "sql"


def write_volumes(lake: Lake, day: date, sizes: list[int], account: str = "111111111111") -> None:
    at = datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc)
    rows = [{"account_id": account, "region": "us-east-1", "resource_type": "ebs_volume",
             "resource_id": f"vol-{index:04d}", "tags": {}, "snapshot_date": day, "snapshot_at": at,
             "run_id": "r", "raw": f'{{"Size": {size}}}'} for index, size in enumerate(sizes)]
    lake.write_table(lake.aws_partition("ebs_volume", day, account, "us-east-1"),
                     pa.Table.from_pylist(rows, schema=AWS_SCHEMA))


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_order_follows_references_not_file_names(tmp_path):
    sql = models(tmp_path, marts__a_first="select * from intermediate.z_last",
                 intermediate__z_last="select * from staging.stg_m", staging__stg_m=STAGING)
    order = [m.relation for m in discover(sql, set(lake_sources()))]
    assert order == ["staging.stg_m", "intermediate.z_last", "marts.a_first"]


def test_a_cycle_names_the_models_and_files(tmp_path):
    sql = models(tmp_path, intermediate__a="select * from intermediate.b", intermediate__b="select * from a")
    with pytest.raises(ModelError, match=r"cycle.*intermediate\.(a|b).*a\.sql"):
        discover(sql, set())


def test_an_unknown_relation_names_the_model_and_file(tmp_path):
    sql = models(tmp_path, marts__m="select * from staging.stg_typo")
    with pytest.raises(ModelError, match=r"marts\.m \(.*marts/m\.sql\): reads staging\.stg_typo"):
        discover(sql, set())


def test_invalid_sql_names_the_file(tmp_path):
    sql = models(tmp_path, marts__m="select from where (")
    with pytest.raises(ModelError, match=r"marts/m\.sql"):
        discover(sql, set())


def test_build_creates_schemas_tables_and_model_stats(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [8, 100])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)

    result = build(inventory_settings.load(), sql_dir=sql)

    warehouse = env / "warehouse.duckdb"
    assert query(warehouse, "select * from marts.volume_totals") == [(date(2026, 11, 20), 2, 108)]
    stats = query(warehouse, "select model, mode, rows from meta.model_stats order by model")
    assert stats == [("marts.volume_totals", "table", 1), ("staging.stg_volumes", "full", 2)]
    assert result.full_refresh and not list(env.glob("warehouse.duckdb.build-*"))


def test_incremental_staging_redoes_only_changed_dates(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 19), [1])
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)

    write_volumes(lake, date(2026, 11, 21), [4, 5, 6])  # a new day
    write_volumes(lake, date(2026, 11, 20), [7])  # a rerun replaced a day
    second = build(inventory_settings.load(), sql_dir=sql)

    assert not second.full_refresh
    assert [s["mode"] for s in second.stats if s["model"] == "staging.stg_volumes"] == ["2 date(s)"]
    assert query(env / "warehouse.duckdb", "select * from marts.volume_totals order by 1") == [
        (date(2026, 11, 19), 1, 1), (date(2026, 11, 20), 1, 7), (date(2026, 11, 21), 3, 15)]
    third = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in third.stats if s["model"] == "staging.stg_volumes"] == ["unchanged"]
    assert query(env / "warehouse.duckdb", "select count(*) from meta.builds") == [(3,)]

    shutil.rmtree(env / "lake" / "raw" / "aws" / "ebs_volume" / "dt=2026-11-19")  # a removed day is a change too
    fourth = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in fourth.stats if s["model"] == "staging.stg_volumes"] == ["1 date(s)"]
    assert query(env / "warehouse.duckdb", "select * from marts.volume_totals order by 1") == [
        (date(2026, 11, 20), 1, 7), (date(2026, 11, 21), 3, 15)]
    assert query(env / "warehouse.duckdb", "select snapshot_date, count(*) from meta.lake_files "
                                           "where source = 'lake_aws_ebs_volume' group by all order by 1") == [
        (date(2026, 11, 20), 1), (date(2026, 11, 21), 1)]


DAILY = """
-- materialized: incremental
with volumes as (select * from staging.stg_volumes)
select
    snapshot_date,
    count(*)                                                        as volumes,
    -- which build wrote the row: kept rows still say so
    coalesce(getvariable('rebuild_from')::varchar, 'whole')         as built_from
from volumes
where snapshot_date >= coalesce(getvariable('rebuild_from'), date '0001-01-01')
group by all
"""


def daily_rows(env: Path) -> list[tuple]:
    return query(env / "warehouse.duckdb", "select snapshot_date, volumes, built_from from intermediate.daily "
                                           "order by 1")


def test_an_incremental_model_over_models_redoes_the_dates_from_the_earliest_change(env, tmp_path):
    lake = Lake(str(env / "lake"))
    d1, d2, d3 = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)
    write_volumes(lake, d1, [1])
    write_volumes(lake, d2, [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, intermediate__daily=DAILY)
    first = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in first.stats if s["model"] == "intermediate.daily"] == ["full"]

    write_volumes(lake, d3, [4, 5, 6])  # the daily case: a new day, the others kept as they were
    second = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in second.stats if s["model"] == "intermediate.daily"] == ["from 2026-11-21"]
    assert daily_rows(env) == [(d1, 1, "whole"), (d2, 2, "whole"), (d3, 3, "2026-11-21")]

    third = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in third.stats if s["model"] == "intermediate.daily"] == ["unchanged"]

    write_volumes(lake, d2, [7])  # a rerun of an earlier day: that day and every later one are redone
    fourth = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in fourth.stats if s["model"] == "intermediate.daily"] == ["from 2026-11-20"]
    assert daily_rows(env) == [(d1, 1, "whole"), (d2, 1, "2026-11-20"), (d3, 3, "2026-11-20")]


def test_an_incremental_model_over_models_is_rebuilt_whole_when_a_model_beneath_it_changes(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, intermediate__daily=DAILY)
    build(inventory_settings.load(), sql_dir=sql)
    (sql / "staging" / "stg_volumes.sql").write_text(STAGING + "\nwhere size_gib > 2")
    result = build(inventory_settings.load(), sql_dir=sql)
    assert {s["model"]: s["mode"] for s in result.stats} == {"staging.stg_volumes": "full", "intermediate.daily": "full"}
    assert daily_rows(env) == [(date(2026, 11, 20), 1, "whole")]


def test_an_incremental_model_over_models_needs_dated_sources_beneath_it(env, tmp_path):
    ledger = "with source as (select * from lake_manifest_k8s) select *, current_date as snapshot_date from source"
    sql = models(tmp_path, staging__stg_ledger=ledger + "\n-- materialized: table",
                 intermediate__ledger_days="-- materialized: incremental\nselect * from staging.stg_ledger")
    with pytest.raises(ModelError, match=r"intermediate\.ledger_days .*ledger_days\.sql.*lake_manifest_k8s"):
        build(inventory_settings.load(), sql_dir=sql)


def test_a_changed_model_is_rebuilt_whole(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING)
    build(inventory_settings.load(), sql_dir=sql)
    (sql / "staging" / "stg_volumes.sql").write_text(STAGING.replace("size_gib", "size"))
    result = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in result.stats] == ["full"]
    assert query(env / "warehouse.duckdb", "select sum(size) from staging.stg_volumes") == [(5,)]


def test_a_failing_model_names_itself_and_leaves_the_previous_warehouse(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)
    before = (env / "warehouse.duckdb").read_bytes()

    write_volumes(lake, date(2026, 11, 21), [4])
    (sql / "marts" / "volume_totals.sql").write_text("select no_such_column from staging.stg_volumes")
    with pytest.raises(ModelError, match=r"marts\.volume_totals \(.*volume_totals\.sql\): .*no_such_column"):
        build(inventory_settings.load(), sql_dir=sql)

    assert (env / "warehouse.duckdb").read_bytes() == before
    assert sorted(p.name for p in env.iterdir() if p.name.startswith("warehouse")) == [
        "warehouse.duckdb", "warehouse.duckdb.lock"]  # no half-built file left behind


def test_a_daily_build_runs_staging_models_side_by_side_and_a_failing_one_names_itself(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, staging__stg_volume_ids=STAGING.replace(
        "cast(raw ->> '$.Size' as integer) as size_gib, ", ""), marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)

    write_volumes(lake, date(2026, 11, 21), [4])
    second = build(inventory_settings.load(), sql_dir=sql)  # two staging models, each on its own connection
    assert {s["model"]: s["mode"] for s in second.stats if s["layer"] == "staging"} == {
        "staging.stg_volumes": "1 date(s)", "staging.stg_volume_ids": "1 date(s)"}
    assert query(env / "warehouse.duckdb", "select snapshot_date, count(*) from staging.stg_volume_ids "
                                           "group by all order by 1") == [
        (date(2026, 11, 20), 2), (date(2026, 11, 21), 1)]
    before = (env / "warehouse.duckdb").read_bytes()

    write_volumes(lake, date(2026, 11, 22), [5])
    (sql / "staging" / "stg_volume_ids.sql").write_text("select no_such_column from lake_aws_ebs_volume")
    with pytest.raises(ModelError, match=r"staging\.stg_volume_ids \(.*stg_volume_ids\.sql\): .*no_such_column"):
        build(inventory_settings.load(), sql_dir=sql)
    assert (env / "warehouse.duckdb").read_bytes() == before


SLOW_TABLE = """
-- materialized: table
select count(*) as n, {k} as k from (select unnest(generate_series(1, 20000000)) as i) where i % 7 = {k}
"""


def test_a_daily_build_runs_models_side_by_side_each_once_the_models_it_reads_are_built(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, intermediate__slow_a=SLOW_TABLE.format(k=1),
                 intermediate__slow_b=SLOW_TABLE.format(k=2),
                 marts__both="select * from intermediate.slow_a union all select * from intermediate.slow_b")
    build(inventory_settings.load(), sql_dir=sql)
    write_volumes(lake, date(2026, 11, 21), [4])
    daily = build(inventory_settings.load(), sql_dir=sql)
    # in build order, whichever ended first
    assert [s["model"] for s in daily.stats] == [m.relation for m in discover(sql, set(lake_sources()))]
    spans = {s["model"].split(".")[1]: (s["built_at"].timestamp() - s["seconds"], s["built_at"].timestamp())
             for s in daily.stats}
    assert spans["slow_a"][0] < spans["slow_b"][1] and spans["slow_b"][0] < spans["slow_a"][1]  # side by side
    # seconds are recorded to the millisecond, so a span's start is known to within that
    assert spans["both"][0] >= max(spans["slow_a"][1], spans["slow_b"][1]) - 0.002
    assert query(env / "warehouse.duckdb", "select k from marts.both order by k") == [(1,), (2,)]


def test_an_empty_lake_builds_empty_marts(env, tmp_path):
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)
    assert query(env / "warehouse.duckdb", "select count(*) from marts.volume_totals") == [(0,)]


ANALYST = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select sum(gib) from marts.volume_totals").fetchone()[0], flush=True)
sys.stdin.readline()  # the rebuild happens now
print(con.execute("select sum(gib) from marts.volume_totals").fetchone()[0], flush=True)
"""


def test_an_analyst_connection_open_across_a_rebuild_keeps_reading(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)
    warehouse = env / "warehouse.duckdb"
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(warehouse)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert analyst.stdout.readline().strip() == "5"
        write_volumes(lake, date(2026, 11, 21), [10])
        build(inventory_settings.load(), sql_dir=sql)  # while the analyst's connection is open
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        assert analyst.stdout.readline().strip() == "5"  # the old file, still whole
        assert analyst.wait(timeout=30) == 0
    finally:
        analyst.kill()
    assert query(warehouse, "select sum(gib) from marts.volume_totals") == [(15,)]  # new connections: new build


# A build in another process, stopped after its models and before its checkpoint: its copy of the warehouse, the
# copy's WAL and DuckDB's spill folder (a sort past a small memory limit) exist; it waits there to be killed.
STALLED_BUILD = """
import sys, time
from pathlib import Path
from cloud_inventory import settings
from cloud_inventory.warehouse.runner import build

def stall(con):
    con.execute("set enable_progress_bar = false")  # (a slow query on a loaded machine prints one to stdout)
    con.execute("set memory_limit = '64MB'")
    con.execute("set threads = 1")
    con.execute("select s from (select md5(range::varchar) as s from range(1500000)) order by s desc "
                "limit 1 offset 1000000").fetchall()
    print("STALLED", flush=True)
    time.sleep(600)

build(settings.load(), sql_dir=Path(sys.argv[1]), extra=stall)
"""


def test_a_killed_build_leaves_nothing_the_next_build_does_not_remove(env, tmp_path, caplog):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)
    warehouse = env / "warehouse.duckdb"
    write_volumes(lake, date(2026, 11, 21), [10])

    killed = subprocess.Popen([sys.executable, "-c", STALLED_BUILD, str(sql)], stdout=subprocess.PIPE, text=True)
    try:
        assert killed.stdout.readline().strip() == "STALLED"  # (no other output comes before it)
        [copy] = [path.name for path in env.glob("warehouse.duckdb.build-*") if path.suffix not in (".wal", ".tmp")]
        left = sorted(path.name for path in env.glob("warehouse.duckdb.build-*"))
        assert left == [copy, f"{copy}.tmp", f"{copy}.wal"] and (env / f"{copy}.tmp").is_dir()
        assert query(warehouse, "select sum(gib) from marts.volume_totals") == [(5,)]  # the warehouse is untouched

        with ThreadPoolExecutor(1) as pool, caplog.at_level(logging.WARNING, logger="cloud_inventory.warehouse.runner"):
            rerun = pool.submit(build, inventory_settings.load(), sql_dir=sql)
            time.sleep(1.5)  # it waits for the lock the stalled build holds, and leaves that build's files alone
            assert not rerun.done() and sorted(path.name for path in env.glob("warehouse.duckdb.build-*")) == left
            killed.send_signal(signal.SIGKILL)
            killed.wait(30)
            result = rerun.result(timeout=120)
    finally:
        killed.kill()
    assert not list(env.glob("warehouse.duckdb.build-*"))
    assert f"removed what killed builds left in {env}: {', '.join(left)}" in caplog.text
    assert not result.full_refresh  # built on the intact warehouse
    assert query(warehouse, "select sum(gib) from marts.volume_totals") == [(15,)]


def test_a_view_may_not_read_the_lake(env, tmp_path):
    sql = models(tmp_path, intermediate__v="select * from lake_aws_ebs_volume")
    with pytest.raises(ModelError, match="a view cannot read lake sources"):
        build(inventory_settings.load(), sql_dir=sql)


def test_the_lake_can_be_on_s3(env, tmp_path, monkeypatch):
    from cloud_inventory.demo.emulator import Emulator

    with Emulator(in_process=True) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
        import boto3

        boto3.client("s3", endpoint_url=emulator.url).create_bucket(Bucket="lake-bucket")
        monkeypatch.setenv("INVENTORY_LAKE_URI", "s3://lake-bucket/inventory")
        lake = Lake("s3://lake-bucket/inventory")
        from cloud_inventory.warehouse import listing

        monkeypatch.setattr(listing, "SETTLE_NS", 0)
        write_volumes(lake, date(2026, 11, 19), [1])
        write_volumes(lake, date(2026, 11, 20), [2, 3])
        sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
        build(inventory_settings.load(), sql_dir=sql)
        time.sleep(1.1)  # S3 keeps whole seconds: the rerun's marker must look different
        write_volumes(lake, date(2026, 11, 21), [4])
        write_volumes(lake, date(2026, 11, 20), [5])
        listed = listed_dates(monkeypatch)
        daily = build(inventory_settings.load(), sql_dir=sql)
        assert [s["mode"] for s in daily.stats if s["model"] == "staging.stg_volumes"] == ["2 date(s)"]
        assert sorted(day for source, day in listed if source == "lake_aws_ebs_volume") == [
            date(2026, 11, 20), date(2026, 11, 21)]
    assert query(env / "warehouse.duckdb", "select sum(gib) from marts.volume_totals") == [(10,)]
    assert os.path.exists(env / "warehouse.duckdb")


def test_a_selective_build_rebuilds_only_the_named_models_and_writes_extra_tables(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [2, 3])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART,
                 marts__built_at="select now() as built, count(*) as volumes from staging.stg_volumes")
    build(inventory_settings.load(), sql_dir=sql)
    write_volumes(lake, date(2026, 11, 21), [4])  # not processed by a selective build
    first = query(env / "warehouse.duckdb", "select built from marts.built_at")

    def record(con):
        con.execute("create or replace table dq.check_results as select 'a check' as check_name")

    result = build(inventory_settings.load(), sql_dir=sql, select={"marts.built_at"}, extra=record)

    assert [s["model"] for s in result.stats] == ["marts.built_at"]
    assert query(env / "warehouse.duckdb", "select built from marts.built_at") != first
    assert query(env / "warehouse.duckdb", "select * from dq.check_results") == [("a check",)]
    assert query(env / "warehouse.duckdb", "select sum(gib) from marts.volume_totals") == [(5,)]
    after = build(inventory_settings.load(), sql_dir=sql)  # the next full build still sees the new day
    assert [s["mode"] for s in after.stats if s["model"] == "staging.stg_volumes"] == ["1 date(s)"]
    assert query(env / "warehouse.duckdb", "select sum(gib) from marts.volume_totals") == [(9,)]


def test_a_full_refresh_keeps_the_check_history(env, tmp_path):
    sql = models(tmp_path, staging__stg_volumes=STAGING)
    build(inventory_settings.load(), sql_dir=sql,
          extra=lambda con: con.execute("create table dq.check_results as select 1 as run"))
    build(inventory_settings.load(), sql_dir=sql, full_refresh=True)
    assert query(env / "warehouse.duckdb", "select run from dq.check_results") == [(1,)]


def test_selecting_an_unknown_model_is_an_error(env, tmp_path):
    sql = models(tmp_path, staging__stg_volumes=STAGING)
    build(inventory_settings.load(), sql_dir=sql)
    with pytest.raises(ModelError, match="no such model"):
        build(inventory_settings.load(), sql_dir=sql, select={"marts.nope"})


def test_a_model_can_change_from_table_to_view_and_back(env, tmp_path):
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__totals=MART)
    build(inventory_settings.load(), sql_dir=sql)
    path = sql / "marts" / "totals.sql"
    path.write_text("-- materialized: view\n" + MART)
    build(inventory_settings.load(), sql_dir=sql)
    assert query(env / "warehouse.duckdb", "select table_type from information_schema.tables "
                                          "where table_name = 'totals'") == [("VIEW",)]
    path.write_text(MART)
    build(inventory_settings.load(), sql_dir=sql)
    assert query(env / "warehouse.duckdb", "select table_type from information_schema.tables "
                                          "where table_name = 'totals'") == [("BASE TABLE",)]


def test_lake_files_written_before_a_column_was_added_still_build(env, tmp_path):
    """Files of one source whose columns differ (an older schema without parent_id) are read by name."""
    lake = Lake(str(env / "lake"))
    old_schema = pa.schema([field for field in AWS_SCHEMA if field.name != "parent_id"])
    day = date(2026, 11, 19)
    rows = [{"account_id": "111111111111", "region": "us-east-1", "resource_type": "ebs_volume",
             "resource_id": "vol-old", "tags": {}, "snapshot_date": day,
             "snapshot_at": datetime(2026, 11, 19, 6, tzinfo=timezone.utc), "run_id": "r", "raw": '{"Size": 1}'}]
    lake.write_table(lake.aws_partition("ebs_volume", day, "111111111111", "us-east-1"),
                     pa.Table.from_pylist(rows, schema=old_schema))
    write_volumes(lake, date(2026, 11, 20), [2])
    sql = models(tmp_path, staging__stg_volumes=STAGING.replace("snapshot_date\n", "parent_id, snapshot_date\n"))
    build(inventory_settings.load(), sql_dir=sql)
    assert query(env / "warehouse.duckdb", "select volume_id, parent_id, size_gib from staging.stg_volumes "
                                          "order by 1") == [("vol-0000", None, 2), ("vol-old", None, 1)]


def listed_dates(monkeypatch) -> list[tuple[str, date | None]]:
    """(source, date) of every date folder the build's listing reads the files of, from now on."""
    from cloud_inventory.warehouse import sources as lake_sources

    listed, real = [], lake_sources.list_files

    def spy(lake, source, entries=None, day=None):
        listed.append((source.name, day))
        return real(lake, source, entries, day)

    monkeypatch.setattr(lake_sources, "list_files", spy)
    return listed


def rewrite_outside_the_writer(path: str, size: int) -> None:
    """The one-volume file at `path` rewritten in place with a new size, its date's marker untouched."""
    table = pq.read_table(path)
    pq.write_table(table.set_column(table.schema.get_field_index("raw"), "raw", pa.array([f'{{"Size": {size}}}'])),
                   path)


def test_a_daily_build_lists_only_the_dates_written_since_the_last_build(env, tmp_path, monkeypatch):
    from cloud_inventory.warehouse import listing

    monkeypatch.setattr(listing, "SETTLE_NS", 0)  # markers written a moment ago count as settled
    lake = Lake(str(env / "lake"))
    d1, d2, d3 = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)
    for day in (d1, d2):
        write_volumes(lake, day, [1])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)

    listed = listed_dates(monkeypatch)
    write_volumes(lake, d3, [3])  # the daily case: a new day
    write_volumes(lake, d1, [2], account="222222222222")  # and a rerun of an old day for another account
    second = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in second.stats if s["model"] == "staging.stg_volumes"] == ["2 date(s)"]
    assert sorted(day for source, day in listed if source == "lake_aws_ebs_volume") == [d1, d3]
    assert query(env / "warehouse.duckdb", "select * from marts.volume_totals order by 1") == [
        (d1, 2, 3), (d2, 1, 1), (d3, 1, 3)]

    listed.clear()
    third = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in third.stats if s["model"] == "staging.stg_volumes"] == ["unchanged"]
    assert listed == []  # not one file stat of the lake

    # The limit: a file replaced by anything but the lake writer leaves its date's marker as it was, so a daily
    # build does not see it; a full refresh does.
    rewrite_outside_the_writer(lake.aws_partition("ebs_volume", d2, "111111111111", "us-east-1"), size=50)
    build(inventory_settings.load(), sql_dir=sql)
    assert query(env / "warehouse.duckdb", "select gib from marts.volume_totals where snapshot_date = '2026-11-20'") \
        == [(1,)]
    build(inventory_settings.load(), sql_dir=sql, full_refresh=True)
    assert query(env / "warehouse.duckdb", "select gib from marts.volume_totals where snapshot_date = '2026-11-20'") \
        == [(50,)]


def test_a_date_without_a_marker_is_compared_file_by_file_every_build(env, tmp_path, monkeypatch):
    from cloud_inventory.warehouse import listing

    monkeypatch.setattr(listing, "SETTLE_NS", 0)
    lake = Lake(str(env / "lake"))
    d1, d2 = date(2026, 11, 19), date(2026, 11, 20)
    for day in (d1, d2):
        write_volumes(lake, day, [1])
    os.unlink(lake.path("raw", "aws", "ebs_volume", "_written", "dt=2026-11-19"))  # written by another tool
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)

    listed = listed_dates(monkeypatch)
    unchanged = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in unchanged.stats if s["model"] == "staging.stg_volumes"] == ["unchanged"]
    assert [day for source, day in listed if source == "lake_aws_ebs_volume"] == [d1]

    rewrite_outside_the_writer(lake.aws_partition("ebs_volume", d1, "111111111111", "us-east-1"), size=7)
    changed = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in changed.stats if s["model"] == "staging.stg_volumes"] == ["1 date(s)"]
    assert query(env / "warehouse.duckdb", "select snapshot_date, gib from marts.volume_totals order by 1") == [
        (d1, 7), (d2, 1)]


def test_a_marker_written_just_before_the_build_is_checked_again_by_the_next(env, tmp_path, monkeypatch):
    """A marker rewritten within its clock's tick keeps its time: the build that saw it young does not trust it."""
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [1])
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    build(inventory_settings.load(), sql_dir=sql)
    assert query(env / "warehouse.duckdb", "select snapshot_date, mtime_ns from meta.lake_markers "
                                           "where source = 'lake_aws_ebs_volume'") == [(date(2026, 11, 20), -1)]
    listed = listed_dates(monkeypatch)
    again = build(inventory_settings.load(), sql_dir=sql)
    assert [s["mode"] for s in again.stats if s["model"] == "staging.stg_volumes"] == ["unchanged"]
    assert [day for source, day in listed if source == "lake_aws_ebs_volume"] == [date(2026, 11, 20)]


def test_a_changed_file_outside_a_date_folder_redoes_its_source_whole(env, tmp_path):
    lake = Lake(str(env / "lake"))
    write_volumes(lake, date(2026, 11, 20), [1])
    write_volumes(lake, date(2026, 11, 20), [2], account="222222222222")
    stray = lake.path("raw", "aws", "ebs_volume", "dt=latest", "account_id=222222222222", "region=us-east-1",
                      "part-0.parquet")
    os.renames(lake.aws_partition("ebs_volume", date(2026, 11, 20), "222222222222", "us-east-1"), stray)
    sql = models(tmp_path, staging__stg_volumes=STAGING, marts__volume_totals=MART)
    modes = []
    for size in (None, None, 5):  # the stray file as it is, the same again, then rewritten (with no marker)
        if size:
            rewrite_outside_the_writer(stray, size)
        result = build(inventory_settings.load(), sql_dir=sql)
        modes += [s["mode"] for s in result.stats if s["model"] == "staging.stg_volumes"]
        assert query(env / "warehouse.duckdb", "select snapshot_date, count(*) from meta.lake_files "
                                               "where source = 'lake_aws_ebs_volume' group by all order by 1") == [
            (date(2026, 11, 20), 1), (None, 1)]  # its file has no date; recorded once, not once per build
    assert modes == ["full", "unchanged", "full"]  # no date of its own to redo: the whole source
    assert query(env / "warehouse.duckdb", "select * from marts.volume_totals") == [(date(2026, 11, 20), 2, 6)]


# --- amend: a write outside the models (the digest's state in dq) ------------------------------------------

def test_amend_replaces_the_warehouse_whole_or_leaves_it_as_it_was(tmp_path, monkeypatch):
    from cloud_inventory.warehouse.runner import amend

    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    settings = inventory_settings.load()
    with pytest.raises(ModelError, match="no warehouse at"):
        amend(settings, lambda con: None)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema dq; create table dq.notes (note varchar); insert into dq.notes values ('old')")
    reader = duckdb.connect(str(settings.warehouse_path), read_only=True)  # an analyst with the file open
    amend(settings, lambda con: con.execute("insert into dq.notes values ('new')"))
    assert reader.execute("select * from dq.notes").fetchall() == [("old",)]  # still reads the file it opened
    reader.close()

    def half_then_fail(con):
        con.execute("delete from dq.notes")
        raise RuntimeError("the write failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        amend(settings, half_then_fail)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select * from dq.notes order by all").fetchall() == [("new",), ("old",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb", "warehouse.duckdb.lock"]


def test_a_daily_builds_queries_run_on_one_duckdb_thread_and_the_setting_is_restored_after(tmp_path):
    from cloud_inventory.warehouse.runner import _one_thread_per_query

    threads = "select current_setting('threads')"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    default = con.execute(threads).fetchone()[0]
    with _one_thread_per_query(con):
        assert con.execute(threads).fetchone()[0] == 1
        assert con.cursor().execute(threads).fetchone()[0] == 1  # the database's setting: every model's cursor
    assert con.execute(threads).fetchone()[0] == default  # the full build's threads
    con.close()


def test_write_back_syncs_the_copy_in_the_background_and_leaves_it_as_it_was(tmp_path):
    from cloud_inventory.warehouse.runner import write_back

    copy = tmp_path / "warehouse.duckdb.build-x"
    copy.write_bytes(os.urandom(1 << 20))
    before = copy.read_bytes()

    thread = write_back(copy)
    thread.join(30)

    assert not thread.is_alive() and thread.daemon
    assert copy.read_bytes() == before
