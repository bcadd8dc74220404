"""Build the warehouse: every model of include/sql/, in dependency order, into a new DuckDB file that
replaces the old one in one rename.

- The build writes `<warehouse>.build-<id>`: a copy of the current warehouse (so incremental staging
  models only redo the snapshot dates whose lake files changed), or an empty file for a full refresh.
- Each model runs in one statement; its rows and seconds go to `meta.model_stats`.
- Only a complete build is renamed onto the warehouse path. An analyst with the old file open keeps
  reading the old file (the rename does not touch it); new connections open the new one. A failed
  build deletes its file and raises ModelError naming the model and its file: the previous warehouse
  stays as it was.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from cloud_inventory.accounts import load as load_accounts
from cloud_inventory.lake import Lake
from cloud_inventory.settings import PROJECT_ROOT, Settings
from cloud_inventory.warehouse import sources as lake_sources
from cloud_inventory.warehouse.models import Model, ModelError, discover

SQL_DIR = PROJECT_ROOT / "include" / "sql"
SEEDS_DIR = PROJECT_ROOT / "include" / "config" / "seeds"
SCHEMAS = ("staging", "intermediate", "marts", "meta")
FORMAT_VERSION = "1"  # bump when meta tables change shape: the next build is then a full refresh

_META_DDL = """
create table if not exists meta.builds (build_id varchar, started_at timestamptz, finished_at timestamptz,
    full_refresh boolean, lake_uri varchar, models integer, changed_dates integer, format_version varchar);
create table if not exists meta.model_stats (build_id varchar, model varchar, layer varchar,
    materialized varchar, mode varchar, rows bigint, seconds double, built_at timestamptz);
create table if not exists meta.model_state (model varchar, sql_hash varchar);
create table if not exists meta.lake_files (source varchar, path varchar, size bigint, mtime_ns bigint,
    snapshot_date date);
"""


@dataclass
class BuildResult:
    build_id: str
    warehouse: Path
    full_refresh: bool
    seconds: float = 0.0
    stats: list[dict] = field(default_factory=list)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _table_exists(con, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(con.execute("select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
                            [schema, name]).fetchone()[0])


def _bind_seeds(con, settings: Settings, seeds_dir: Path) -> None:
    config = load_accounts(settings.accounts_file)
    accounts = pa.Table.from_pylist(
        [{"account_id": a.id, "account_name": a.name, "environment": a.environment, "team": a.team}
         for a in config.accounts],
        schema=pa.schema([("account_id", pa.string()), ("account_name", pa.string()),
                          ("environment", pa.string()), ("team", pa.string())]))
    clusters = pa.Table.from_pylist(
        [{"cluster": c.name, "account_id": c.account_id, "region": c.region,
          "dump_interval_minutes": c.dump_interval_minutes, "stale_after_minutes": c.stale_after}
         for c in config.clusters],
        schema=pa.schema([("cluster", pa.string()), ("account_id", pa.string()), ("region", pa.string()),
                          ("dump_interval_minutes", pa.int64()), ("stale_after_minutes", pa.int64())]))
    con.register("seed_accounts", accounts)
    con.register("seed_clusters", clusters)
    for path in sorted(seeds_dir.glob("*.csv")):
        quoted = str(path).replace("'", "''")
        con.execute(f"create temp view seed_{path.stem} as select * from read_csv('{quoted}', header = true)")


class Build:
    def __init__(self, settings: Settings, *, sql_dir: Path = SQL_DIR, seeds_dir: Path = SEEDS_DIR,
                 full_refresh: bool = False):
        self.settings = settings
        self.lake = Lake(settings.lake_uri)
        self.sources = lake_sources.lake_sources()
        self.seeds_dir = seeds_dir
        self.models = discover(sql_dir, set(self.sources) | lake_sources.seed_names(seeds_dir))
        self.warehouse = Path(settings.warehouse_path)
        self.full_refresh = full_refresh or not self.warehouse.exists()
        self.build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]

    def run(self) -> BuildResult:
        import duckdb

        started = time.monotonic()
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        target = self.warehouse.with_name(f"{self.warehouse.name}.build-{self.build_id}")
        result = BuildResult(self.build_id, self.warehouse, self.full_refresh)
        try:
            if not self.full_refresh:
                shutil.copyfile(self.warehouse, target)
            con = duckdb.connect(str(target))
            try:
                if not self.full_refresh and not self._compatible(con):
                    con.close()
                    os.unlink(target)
                    con, self.full_refresh, result.full_refresh = duckdb.connect(str(target)), True, True
                self._build(con, result)
                con.execute("checkpoint")
            finally:
                con.close()
            os.replace(target, self.warehouse)
        except BaseException:
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _compatible(self, con) -> bool:
        try:
            versions = con.execute("select format_version from meta.builds").fetchall()
        except Exception:  # noqa: BLE001 - not a warehouse this runner built
            return False
        return bool(versions) and versions[-1][0] == FORMAT_VERSION

    def _build(self, con, result: BuildResult) -> None:
        began = datetime.now(timezone.utc)
        con.execute("set TimeZone = 'UTC'")
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
        con.execute(_META_DDL)
        _bind_seeds(con, self.settings, self.seeds_dir)
        files = {name: lake_sources.list_files(self.lake, source) for name, source in self.sources.items()}
        changed = self._changed_dates(con, files)
        for source in self.sources.values():
            lake_sources.bind(con, self.lake, source, files[source.name])
        states = dict(con.execute("select model, sql_hash from meta.model_state").fetchall())
        for model in self.models:
            stat = self._run_model(con, model, files, changed, states.get(model.relation))
            stat.update(build_id=self.build_id, built_at=datetime.now(timezone.utc))
            result.stats.append(stat)
        self._record(con, result, files, changed, began)

    def _changed_dates(self, con, files: dict[str, list[lake_sources.LakeFile]]) -> dict[str, set[date] | None]:
        """Per source: the snapshot dates whose files differ from the last build's; None means all."""
        if self.full_refresh:
            return {name: None for name in files}
        before: dict[str, dict[str, tuple]] = {}
        for source, path, size, mtime, day in con.execute(
                "select source, path, size, mtime_ns, snapshot_date from meta.lake_files").fetchall():
            before.setdefault(source, {})[path] = (size, mtime, day)
        changed: dict[str, set[date] | None] = {}
        for name, now in files.items():
            old = before.get(name, {})
            current = {f.path: (f.size, f.mtime_ns, f.snapshot_date) for f in now}
            days = {state[2] for path, state in current.items() if old.get(path) != state}
            days |= {state[2] for path, state in old.items() if path not in current}
            changed[name] = None if None in days else days
        return changed

    def _run_model(self, con, model: Model, files, changed, previous_hash: str | None) -> dict:
        started = time.monotonic()
        mode = model.materialized
        try:
            if model.materialized == "view":
                if model.sources:
                    raise model.fail("a view cannot read lake sources or seeds (they exist only during the "
                                     "build); make it a table")
                con.execute(f"create or replace view {model.relation} as {model.sql}")
            elif model.materialized == "table":
                con.execute(f"create or replace table {model.relation} as {model.sql}")
            else:
                mode = self._run_incremental(con, model, files, changed, previous_hash)
            rows = None if model.materialized == "view" else \
                con.execute(f"select count(*) from {model.relation}").fetchone()[0]
        except ModelError:
            raise
        except Exception as error:  # duckdb.Error: a SQL error in the model, named with its file
            raise model.fail(f"{type(error).__name__}: {str(error).strip()}") from None
        return {"model": model.relation, "layer": model.layer, "materialized": model.materialized, "mode": mode,
                "rows": rows, "seconds": round(time.monotonic() - started, 3)}

    def _run_incremental(self, con, model: Model, files, changed, previous_hash: str | None) -> str:
        (source_name,) = model.sources
        source = self.sources.get(source_name)
        days = changed.get(source_name)
        fresh = (source is None or not source.dated or days is None or previous_hash != _hash(model.sql)
                 or not _table_exists(con, model.relation))
        if fresh:
            con.execute(f"create or replace table {model.relation} as {model.sql}")
            columns = {row[0] for row in con.execute(f"describe {model.relation}").fetchall()}
            if "snapshot_date" not in columns:
                raise model.fail("an incremental model must have a snapshot_date column")
            return "full"
        if not days:
            return "unchanged"
        day_files = [f for f in files[source_name] if f.snapshot_date in days]
        lake_sources.bind(con, self.lake, source, day_files)
        try:
            placeholders = ", ".join("?" for _ in days)
            con.execute(f"delete from {model.relation} where snapshot_date in ({placeholders})", sorted(days))
            con.execute(f"insert into {model.relation} by name {model.sql}")
        finally:
            lake_sources.bind(con, self.lake, source, files[source_name])
        return f"{len(days)} date(s)"

    def _record(self, con, result: BuildResult, files, changed, began: datetime) -> None:
        con.executemany("insert into meta.model_stats by name select ? as build_id, ? as model, ? as layer, "
                        "? as materialized, ? as mode, ? as rows, ? as seconds, ? as built_at",
                        [[s["build_id"], s["model"], s["layer"], s["materialized"], s["mode"], s["rows"],
                          s["seconds"], s["built_at"]] for s in result.stats])
        con.execute("delete from meta.model_state")
        con.executemany("insert into meta.model_state values (?, ?)",
                        [[m.relation, _hash(m.sql)] for m in self.models])
        listed = [{"source": f.source, "path": f.path, "size": f.size, "mtime_ns": f.mtime_ns,
                   "snapshot_date": f.snapshot_date} for source_files in files.values() for f in source_files]
        con.execute("delete from meta.lake_files")
        if listed:
            table = pa.Table.from_pylist(listed, schema=pa.schema([
                ("source", pa.string()), ("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()),
                ("snapshot_date", pa.date32())]))
            con.register("_listed_files", table)
            con.execute("insert into meta.lake_files select * from _listed_files")
            con.unregister("_listed_files")
        changed_count = sum(len(days) for days in changed.values() if days)
        con.execute("insert into meta.builds values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [self.build_id, began, datetime.now(timezone.utc), result.full_refresh, self.settings.lake_uri,
                     len(self.models), changed_count, FORMAT_VERSION])


def build(settings: Settings, **options) -> BuildResult:
    return Build(settings, **options).run()
