"""Build the warehouse: every model of include/sql/, in dependency order, into a new DuckDB file that
replaces the old one in one rename.

- The build writes `<warehouse>.build-<id>`: a copy of the current warehouse (so incremental models only
  redo the snapshot dates whose lake files changed), or an empty file for a full refresh.
- An incremental model over a lake source (staging) redoes the snapshot dates whose files changed. An
  incremental model over other models redoes every snapshot date from the earliest one that changed in
  the lake sources beneath it (its SQL reads that date as getvariable('rebuild_from'), null when it is
  built whole), so each of its rows may depend only on its own date and earlier ones. It is built whole
  when its SQL, or the SQL of any model beneath it, changed, or when a model beneath it was built whole.
- Each model runs in one statement; its rows and seconds go to `meta.model_stats`. The lake is surveyed in a
  background thread while models run, and only the dates its writer marked as written since the last build are
  listed (listing.py); a daily build runs its models two at a time, each once the models it reads are built, each
  query on one DuckDB thread (_one_thread_per_query), while its copy of the warehouse is written back to disk.
- Only a complete build is renamed onto the warehouse path. An analyst with the old file open keeps
  reading the old file (the rename does not touch it); new connections open the new one. A failed
  build deletes its file and raises ModelError naming the model and its file: the previous warehouse
  stays as it was.
- A build killed with SIGKILL cannot delete its file: `<warehouse>.build-<id>`, its `.wal` and DuckDB's spill
  folder `.build-<id>.tmp/` stay. Builds run only under warehouse_lock, so whatever `<warehouse>.build-*` the
  next build finds once it holds the lock belongs to a dead build: it removes them before it starts, and logs
  what it removed.
"""
from __future__ import annotations

import fcntl
import glob
import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa

from cloud_inventory.lake import Lake
from cloud_inventory.settings import PROJECT_ROOT, Settings
from cloud_inventory.warehouse import sources as lake_sources
from cloud_inventory.warehouse.listing import META_DDL as LISTING_DDL, LakeListing
from cloud_inventory.warehouse.models import Model, ModelError, discover, lineage
from cloud_inventory.warehouse.seeds import bind_seeds, seed_names

SQL_DIR = PROJECT_ROOT / "include" / "sql"
SEEDS_DIR = PROJECT_ROOT / "include" / "config" / "seeds"
SCHEMAS = ("staging", "intermediate", "marts", "meta", "dq")
CARRIED_SCHEMAS = ("dq",)  # written by the quality DAG, not by models: a full refresh copies them over
THREADS = 2  # the models of a daily build run this many at a time
FORMAT_VERSION = "1"  # bump when meta tables change shape: the next build is then a full refresh

log = logging.getLogger(__name__)

_META_DDL = """
create table if not exists meta.builds (build_id varchar, started_at timestamptz, finished_at timestamptz,
    full_refresh boolean, lake_uri varchar, models integer, changed_dates integer, format_version varchar);
create table if not exists meta.model_stats (build_id varchar, model varchar, layer varchar,
    materialized varchar, mode varchar, rows bigint, seconds double, built_at timestamptz);
create table if not exists meta.model_state (model varchar, sql_hash varchar);
""" + LISTING_DDL
_MODEL_STATS_SCHEMA = pa.schema([
    ("build_id", pa.string()), ("model", pa.string()), ("layer", pa.string()), ("materialized", pa.string()),
    ("mode", pa.string()), ("rows", pa.int64()), ("seconds", pa.float64()), ("built_at", pa.timestamp("us", tz="UTC"))])


@dataclass
class BuildResult:
    build_id: str
    warehouse: Path
    full_refresh: bool
    seconds: float = 0.0
    stats: list[dict] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # the runner's own seconds: copy, list, record, ...
    # what the lake gave this build to read anew (empty for a build of selected models, which records nothing of
    # the lake): the sources with new, changed or removed files, and those files' snapshot dates
    sources_rebuilt: list[str] = field(default_factory=list)
    dates_rebuilt: list[date] = field(default_factory=list)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.phases[phase] = round(self.phases.get(phase, 0.0) + time.monotonic() - started, 3)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def _unordered(con) -> Iterator[None]:
    """Incremental rows have no order to keep: without it DuckDB writes the scan of thousands of small lake files
    in parallel, 20-35% faster. A query's ORDER BY still holds (DuckDB keeps the order of a result that has one),
    so a daily build runs all its models so; a full refresh keeps the default for its tables. The setting is
    shared by every connection to the database, so it is set around all the models that run together."""
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("reset preserve_insertion_order")


@contextmanager
def _one_thread_per_query(con) -> Iterator[None]:
    """A daily build runs THREADS models at a time, each query on DuckDB's one thread: the models keep the cores
    busy between them. A table a query wrote on several threads leaves each thread's last, partial row group in
    memory, for the next checkpoint to compress, on one thread, inside whichever model's commit triggers it and
    while the other model waits (0.3-0.6 s for each current-state table of the bench lake); written on one thread,
    the table is on disk when its query ends. Like preserve_insertion_order, the setting is the database's."""
    con.execute("set threads = 1")
    try:
        yield
    finally:
        con.execute("reset threads")


@contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One writer at a time (the marts build, the quality run): each copies the file, so two at once would
    lose one's work. Readers never take it."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with open(warehouse.with_name(warehouse.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_build_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@contextmanager
def replacing(warehouse: Path, target: Path) -> Iterator[None]:
    """What the block writes to `target` (a `<warehouse>.build-<id>`) becomes the warehouse in one rename when
    the block ends; if it fails, the target, its WAL and DuckDB's spill folder go and the warehouse is as it
    was. Call it holding warehouse_lock."""
    try:
        yield
        os.replace(target, warehouse)
    except BaseException:
        for leftover in (target, target.with_name(target.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(target.with_name(target.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder
        raise


def write_back(path: Path) -> threading.Thread:
    """Have the kernel write `path` to disk in a background thread (an fsync, which waits on the disk, not the CPU).
    A daily build's copy of the warehouse (900 MB on the bench lake) is all dirty pages, too few for the kernel to
    start writing them before their 30 s expiry: DuckDB's first checkpoint, inside whichever model's commit crosses
    checkpoint_threshold, would otherwise write them all while both model threads wait on it."""
    def sync() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    thread = threading.Thread(target=sync, name="warehouse-write-back", daemon=True)
    thread.start()
    return thread


def remove_dead_builds(warehouse: Path) -> list[Path]:
    """Remove what killed builds left beside `warehouse`: their copies, WALs and spill folders. Call it only
    holding warehouse_lock (then no other build is running)."""
    removed = []
    for leftover in sorted(warehouse.parent.glob(f"{glob.escape(warehouse.name)}.build-*")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    if removed:
        log.warning("removed what killed builds left in %s: %s", warehouse.parent, ", ".join(p.name for p in removed))
    return removed


class Build:
    """A build of every model (or of `select`, on the current warehouse), plus `extra` writes, replacing
    the warehouse in one rename."""

    def __init__(self, settings: Settings, *, sql_dir: Path = SQL_DIR, seeds_dir: Path = SEEDS_DIR,
                 full_refresh: bool = False, select: set[str] | None = None,
                 extra: Callable[[Any], None] | None = None, as_of: datetime | None = None):
        self.settings = settings
        # Models that judge age (source freshness) read it with getvariable('as_of'), not now(): one instant
        # for the whole build, and one a test can set.
        self.as_of = as_of or datetime.now(timezone.utc)
        self.select, self.extra = select, extra
        self.by_name: set[str] = set()  # sources read with union_by_name (their files' columns differ)
        self.lake = Lake(settings.lake_uri)
        self.sources = lake_sources.lake_sources()
        self.seeds_dir = seeds_dir
        self.models = discover(sql_dir, set(self.sources) | seed_names(seeds_dir))
        self.lineage = lineage(self.models)
        for model in (m for m in self.models if m.materialized == "incremental" and not m.sources):
            undated = sorted(s for s in self.lineage[model.relation][1]
                             if s not in self.sources or not self.sources[s].dated)
            if undated:
                raise model.fail(f"an incremental model over models must rest on dated lake sources only; "
                                 f"it rests on {', '.join(undated)}")
        self.built_whole: set[str] = set()  # models (re)built from scratch in this build
        unknown = sorted((select or set()) - {model.relation for model in self.models})
        if unknown:
            raise ModelError(f"no such model(s): {', '.join(unknown)}")
        self.chosen = [m for m in self.models if not select or m.relation in select]  # what this build builds
        self.warehouse = Path(settings.warehouse_path)
        if select and (full_refresh or not self.warehouse.exists()):
            raise ModelError("building selected models needs an existing warehouse and no full refresh")
        self.full_refresh = full_refresh or not self.warehouse.exists()
        self.build_id = new_build_id()

    def run(self) -> BuildResult:
        with warehouse_lock(self.warehouse):
            remove_dead_builds(self.warehouse)
            return self._run()

    def _run(self) -> BuildResult:
        import duckdb

        started = time.monotonic()
        target = self.warehouse.with_name(f"{self.warehouse.name}.build-{self.build_id}")
        written_back: threading.Thread | None = None
        result = BuildResult(self.build_id, self.warehouse, self.full_refresh)
        # surveyed in the background from now on, in the order the models read the sources (a selective build
        # surveys only what its models read: it records nothing of the lake)
        read = [name for model in self.chosen for name in sorted(model.sources) if name in self.sources]
        self.listing = LakeListing(self.lake, {name: self.sources[name] for name in read} if self.select
                                   else self.sources, read, whole=self.full_refresh)
        try:
            with replacing(self.warehouse, target):
                if not self.full_refresh:
                    with result.timed("copy"):
                        shutil.copyfile(self.warehouse, target)
                    written_back = write_back(target)
                con = duckdb.connect(str(target))
                try:
                    if not self.full_refresh and not self._compatible(con):
                        con.close()
                        os.unlink(target)
                        con, self.full_refresh, result.full_refresh = duckdb.connect(str(target)), True, True
                    if self.full_refresh and self.warehouse.exists():
                        self._carry_over(con)
                    self._build(con, result)
                    if self.extra:
                        self.extra(con)
                    with result.timed("checkpoint"):
                        con.execute("checkpoint")
                finally:
                    con.close()
                    if written_back:
                        written_back.join()
        finally:
            self.listing.close()
            result.phases["list"] = round(self.listing.waited, 3)
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _carry_over(self, con) -> None:
        """Tables a full refresh must keep: the previous warehouse's dq schema (check history)."""
        quoted = str(self.warehouse).replace("'", "''")
        con.execute(f"attach '{quoted}' as previous (read_only)")
        try:
            for schema in CARRIED_SCHEMAS:
                con.execute(f"create schema if not exists {schema}")
                tables = con.execute("select table_name from duckdb_tables() where database_name = 'previous' "
                                     "and schema_name = ?", [schema]).fetchall()
                for (table,) in tables:
                    con.execute(f"create table {schema}.{table} as select * from previous.{schema}.{table}")
        finally:
            con.execute("detach previous")

    def _compatible(self, con) -> bool:
        try:
            versions = con.execute("select format_version from meta.builds").fetchall()
        except Exception:  # noqa: BLE001 - not a warehouse this runner built
            return False
        return bool(versions) and versions[-1][0] == FORMAT_VERSION

    def _build(self, con, result: BuildResult) -> None:
        began = datetime.now(timezone.utc)
        self._session(con)
        # DuckDB would take 80% of the machine; the limit (INVENTORY_WAREHOUSE_MEMORY_LIMIT) makes it spill.
        con.execute(f"set memory_limit = '{self.settings.warehouse_memory_limit}'")
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
        con.execute(_META_DDL)
        # what the warehouse holds, read once: a catalog query per model costs ~2 ms on a catalog this size
        self.catalog = dict(con.execute(
            "select schema_name || '.' || table_name, 'table' from duckdb_tables() "
            "where database_name = current_database() union all "
            "select schema_name || '.' || view_name, 'view' from duckdb_views() "
            "where database_name = current_database() and not internal").fetchall())
        bind_seeds(con, self.settings, self.seeds_dir)
        states = dict(con.execute("select model, sql_hash from meta.model_state").fetchall())
        if self.full_refresh:
            # one by one: each model of a full refresh already keeps both cores busy, and two at once would double
            # the peak memory
            for model in self.chosen:
                with _unordered(con) if model.materialized == "incremental" else nullcontext():
                    result.stats.append(self._run_model(con, model, states))
        else:
            result.stats.extend(self._run_side_by_side(con, self.chosen, states))
        with result.timed("record"):
            self._record(con, result, began)

    def _session(self, con) -> None:
        """What every connection of a build reads: UTC, and the build's instant (getvariable('as_of'))."""
        con.execute("set TimeZone = 'UTC'")
        con.execute("set variable as_of = ?::timestamptz", [self.as_of])

    def _run_side_by_side(self, con, models: list[Model], states: dict[str, str]) -> list[dict]:
        """A daily build's models (small queries that leave a core idle), THREADS at a time, each thread on its own
        connection (they write different tables), all unordered (_unordered: an ORDER BY still holds). A model
        starts once the models it reads are built; of those ready, the one with the longest chain of models
        after it first (_critical_paths). The stats come in the models' order."""
        local, cursors = threading.local(), []

        def run(model: Model) -> dict:
            if not hasattr(local, "cursor"):
                local.cursor = con.cursor()
                self._session(local.cursor)
                bind_seeds(local.cursor, self.settings, self.seeds_dir)
                cursors.append(local.cursor)
            return self._run_model(local.cursor, model, states)

        path = self._critical_paths(con, models)
        pending, unbuilt = sorted(models, key=lambda m: -path[m.relation]), {m.relation for m in models}
        running: dict[Future, Model] = {}
        stats: dict[str, dict] = {}
        try:
            with _unordered(con), _one_thread_per_query(con), \
                    ThreadPoolExecutor(THREADS, thread_name_prefix="models") as pool:
                while pending or running:
                    for model in [m for m in pending if not m.refs & unbuilt][:THREADS - len(running)]:
                        pending.remove(model)
                        running[pool.submit(run, model)] = model
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        model = running.pop(future)
                        stats[model.relation] = future.result()  # a failed model raises once the other one ends
                        unbuilt.discard(model.relation)
        finally:
            for cursor in cursors:
                cursor.close()
        return [stats[m.relation] for m in models]

    def _critical_paths(self, con, models: list[Model]) -> dict[str, float]:
        """Each model's seconds plus those of the longest chain of models reading it, as the last build of each
        took (1 s for one never built): list scheduling by these keeps the build's longest chain going."""
        took = dict(con.execute("select model, arg_max(seconds, built_at) from meta.model_stats group by model")
                    .fetchall())
        readers: dict[str, list[str]] = {}
        for model in models:
            for ref in model.refs:
                readers.setdefault(ref, []).append(model.relation)
        path: dict[str, float] = {}
        for model in reversed(models):  # in build order, a model's readers come after it
            path[model.relation] = took.get(model.relation, 1.0) + max(
                (path[r] for r in readers.get(model.relation, ())), default=0.0)
        return path

    def _changed(self, con, source: str) -> set[date] | None:
        """The snapshot dates of a lake source whose files changed since the last build; None means all."""
        return None if self.full_refresh else self.listing.changed(con, source)

    def _run_model(self, con, model: Model, states: dict[str, str]) -> dict:
        started = time.monotonic()
        try:
            try:
                mode = self._materialize(con, model, states)
            except ModelError:
                raise
            except Exception:
                # A lake file whose columns differ from the first file's (written before a column was added)
                # fails a read bound to the first file's columns; read this model's sources by name, try again.
                retry = {name for name in model.sources if name in self.sources} - self.by_name
                if not retry or self.lake.is_s3:
                    raise
                self.by_name |= retry  # _materialize binds them again, by name
                mode = self._materialize(con, model, states)
            rows = None if model.materialized == "view" else \
                con.execute(f"select count(*) from {model.relation}").fetchall()[0][0]
        except ModelError:
            raise
        except Exception as error:  # duckdb.Error: a SQL error in the model, named with its file
            raise model.fail(f"{type(error).__name__}: {str(error).strip()}") from None
        return {"model": model.relation, "layer": model.layer, "materialized": model.materialized, "mode": mode,
                "rows": rows, "seconds": round(time.monotonic() - started, 3), "build_id": self.build_id,
                "built_at": datetime.now(timezone.utc)}

    def _materialize(self, con, model: Model, states: dict[str, str]) -> str:
        kind = "view" if model.materialized == "view" else "table"
        found = self.catalog.get(model.relation)
        if found and found != kind:  # its materialization changed (table <-> view): replace the other kind
            con.execute(f"drop {found} {model.relation}")
            del self.catalog[model.relation]
        # Lake sources are bound when a model reads them (an incremental one binds the changed dates' files
        # only): binding thousands of files to every source up front costs seconds a daily build need not pay.
        if model.materialized != "incremental":
            for name in model.sources & self.sources.keys():
                self._bind(con, self.sources[name], self.listing.files(name))
        if model.materialized == "view":
            if model.sources:
                raise model.fail("a view cannot read lake sources or seeds (they exist only during the "
                                 "build); make it a table")
            con.execute(f"create or replace view {model.relation} as {model.sql}")
            mode = "view"
        elif model.materialized == "table":
            con.execute(f"create or replace table {model.relation} as {model.sql}")
            mode = "table"
        else:
            mode = self._run_incremental(con, model, states)
            if mode == "full":
                self.built_whole.add(model.relation)
        self.catalog[model.relation] = kind
        return mode

    def _bind(self, con, source: lake_sources.LakeSource, files) -> None:
        lake_sources.bind(con, self.lake, source, files, by_name=source.name in self.by_name)

    def _run_incremental(self, con, model: Model, states: dict[str, str]) -> str:  # run inside _unordered()
        try:
            if model.sources:
                return self._insert_dates(con, model, states.get(model.relation))
            return self._insert_from_date(con, model, states)
        finally:
            con.execute("set variable rebuild_from = null")

    def _create_whole(self, con, model: Model) -> str:  # rebuild_from is unset (null): every date
        con.execute(f"create or replace table {model.relation} as {model.sql}")
        columns = {row[0] for row in con.execute(f"describe {model.relation}").fetchall()}
        if "snapshot_date" not in columns:
            raise model.fail("an incremental model must have a snapshot_date column")
        return "full"

    def _insert_from_date(self, con, model: Model, states: dict[str, str]) -> str:
        below, sources = self.lineage[model.relation]
        current = {m.relation: _hash(m.sql) for m in self.models if m.relation in below | {model.relation}}
        days = [self._changed(con, source) for source in sources if source in self.sources]
        if (model.relation not in self.catalog or any(states.get(r) != h for r, h in current.items())
                or below & self.built_whole or any(d is None for d in days)):
            return self._create_whole(con, model)
        changed_days = set().union(*days)
        if not changed_days:
            return "unchanged"
        start = min(changed_days)
        con.execute("set variable rebuild_from = ?::date", [start])
        con.execute(f"delete from {model.relation} where snapshot_date >= ?", [start])
        # the filter again, in case the SQL reads earlier dates without one of its own
        con.execute(f"insert into {model.relation} by name select * from ({model.sql}) "
                    "where snapshot_date >= getvariable('rebuild_from')")
        return f"from {start.isoformat()}"

    def _insert_dates(self, con, model: Model, previous_hash: str | None) -> str:
        (source_name,) = model.sources
        source = self.sources.get(source_name)
        days = self._changed(con, source_name) if source is not None else None
        if (source is None or not source.dated or days is None or previous_hash != _hash(model.sql)
                or model.relation not in self.catalog):
            if source is not None:
                self._bind(con, source, self.listing.files(source_name))
            return self._create_whole(con, model)
        if not days:
            return "unchanged"
        self._bind(con, source, self.listing.files(source_name, days))
        placeholders = ", ".join("?" for _ in days)
        con.execute(f"delete from {model.relation} where snapshot_date in ({placeholders})", sorted(days))
        con.execute(f"insert into {model.relation} by name {model.sql}")
        return f"{len(days)} date(s)"

    def _record(self, con, result: BuildResult, began: datetime) -> None:
        # one statement per table, not one per model: each DuckDB statement costs 1-2 ms on this catalog
        con.register("_model_stats", pa.Table.from_pylist(result.stats, schema=_MODEL_STATS_SCHEMA))
        con.execute("insert into meta.model_stats by name select * from _model_stats")
        con.unregister("_model_stats")
        built = self.chosen
        con.execute("delete from meta.model_state where list_contains(?, model)", [[m.relation for m in built]])
        con.execute("insert into meta.model_state select unnest(?), unnest(?)",
                    [[m.relation for m in built], [_hash(m.sql) for m in built]])
        if not self.select:  # a selective build did not process the lake's changes: the next build must still see
            self.listing.record(con)  # them as changes, so only a whole build records what it found
        changed_count = 0 if self.select else sum(len(self._changed(con, name) or ()) for name in self.sources)
        if not self.select:
            rebuilt = {name: self.listing.rebuilt(con, name) for name in self.sources}
            result.sources_rebuilt = sorted(name for name, days in rebuilt.items() if days)
            result.dates_rebuilt = sorted({day for days in rebuilt.values() for day in days if day is not None})
        con.execute("insert into meta.builds values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [self.build_id, began, datetime.now(timezone.utc), result.full_refresh, self.settings.lake_uri,
                     len(built), changed_count, FORMAT_VERSION])


def build(settings: Settings, **options) -> BuildResult:
    return Build(settings, **options).run()


def amend(settings: Settings, write: Callable[[Any], None]) -> None:
    """Write tables no model builds (the dq schema) into the current warehouse, with no model run: the same copy,
    write and one rename as a build, under the warehouse lock, so readers never see half of it."""
    import duckdb

    warehouse = Path(settings.warehouse_path)
    with warehouse_lock(warehouse):
        remove_dead_builds(warehouse)
        if not warehouse.exists():
            raise ModelError(f"no warehouse at {warehouse} to write into")
        target = warehouse.with_name(f"{warehouse.name}.build-{new_build_id()}")
        with replacing(warehouse, target):
            shutil.copyfile(warehouse, target)
            with duckdb.connect(str(target)) as con:
                con.execute("set TimeZone = 'UTC'")
                write(con)
                con.execute("checkpoint")
