"""What changed in the lake since the last build, found without listing every file.

The lake writer rewrites a marker, <source>/_written/dt=<date>, after every file it writes into a date's
folder (lake.py). A build surveys each source (its dt= folders and their markers: two directory listings) in a
background thread, in the order the models read the sources, and lists the files of only the dates that may
have changed: those whose marker differs from the one the last build recorded, that have no marker (written
by something else), or that appeared or disappeared. Those dates' files are compared with meta.lake_files,
file by file (path, size, mtime); a date is changed when any differs. A daily build so lists one day's files,
not the ~90,000 of a month (1.5-2 s warm, about 10 s with a cold directory cache; millions of files and
thousands of S3 requests over a year). A full refresh lists everything, in the background.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from cloud_inventory.lake import Lake
from cloud_inventory.warehouse import sources as lake_sources

LISTED_SCHEMA = pa.schema([("source", pa.string()), ("path", pa.string()), ("size", pa.int64()),
                           ("mtime_ns", pa.int64()), ("snapshot_date", pa.date32())])
MARKERS_SCHEMA = pa.schema([("source", pa.string()), ("snapshot_date", pa.date32()), ("size", pa.int64()),
                            ("mtime_ns", pa.int64())])
# A marker rewritten within its clock's tick (S3 keeps whole seconds) keeps its time; one younger than this when
# surveyed is recorded as unknown, so the next build lists its date again rather than trust it.
SETTLE_NS = 5 * 10**9
META_DDL = """
create table if not exists meta.lake_files (source varchar, path varchar, size bigint, mtime_ns bigint,
    snapshot_date date);
create table if not exists meta.lake_markers (source varchar, snapshot_date date, size bigint, mtime_ns bigint);
"""


@dataclass
class _Found:
    survey: lake_sources.Survey
    files: dict[date | None, list[lake_sources.LakeFile]] = field(default_factory=dict)  # listed so far, by date


class LakeListing:
    def __init__(self, lake: Lake, sources: dict[str, lake_sources.LakeSource], order: list[str], *,
                 whole: bool = False):
        """Starts surveying every source, those in `order` first; `whole` (a full refresh, into a new warehouse)
        lists all of their files too, and every date counts as changed."""
        self._lake, self._sources, self._whole = lake, sources, whole
        self._started_ns = time.time_ns()
        names = list(dict.fromkeys([name for name in order if name in sources] + list(sources)))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-listing")
        self._futures: dict[str, Future] = {name: self._pool.submit(self._survey, name, whole) for name in names}
        self._compared: dict[str, set[date | None]] = {}  # dates whose files were compared with the last build's
        self._changed: dict[str, set[date] | None] = {}
        self.waited = 0.0  # seconds the build's threads spent waiting for a survey, summed
        self._lock = threading.Lock()

    def _survey(self, name: str, whole: bool) -> _Found:
        found = _Found(lake_sources.survey(self._lake, self._sources[name]))
        if whole:
            self._list(name, found, found.survey.entries)
        return found

    def _list(self, name: str, found: _Found, days) -> None:
        for day in days:
            if day not in found.files:
                found.files[day] = lake_sources.list_files(self._lake, self._sources[name],
                                                           found.survey.entries.get(day, []), day)

    def _found(self, name: str) -> _Found:
        future = self._futures[name]
        if future.done():
            return future.result()
        started = time.monotonic()
        try:
            return future.result()
        finally:
            with self._lock:  # staging threads wait side by side: their waits are summed
                self.waited += time.monotonic() - started

    def files(self, name: str, days: set[date | None] | None = None) -> list[lake_sources.LakeFile]:
        """The source's files: all of them, or those of `days`."""
        found = self._found(name)
        wanted = list(found.survey.entries) if days is None else [day for day in days if day in found.survey.entries]
        self._list(name, found, wanted)
        return sorted((f for day in wanted for f in found.files[day]), key=lambda f: f.path)

    def changed(self, con, name: str) -> set[date] | None:
        """The snapshot dates of `name` whose files differ from those meta.lake_files recorded in the last
        build (added, changed or removed); None when a changed file has no date (all dates)."""
        if name in self._changed:
            return self._changed[name]
        survey = self._found(name).survey
        if self._whole:  # a full refresh: a new warehouse, with nothing recorded to compare with
            self._compared[name], self._changed[name] = set(survey.entries), None
            return None
        recorded = {day: (size, mtime) for day, size, mtime in con.execute(
            "select snapshot_date, size, mtime_ns from meta.lake_markers where source = ?", [name]).fetchall()}
        recorded_days = {day for (day,) in con.execute(
            "select distinct snapshot_date from meta.lake_files where source = ?", [name]).fetchall()}
        compared = {day for day in survey.entries
                    if day is None or day not in recorded or survey.markers.get(day) != recorded[day]}
        compared |= recorded_days - survey.entries.keys()
        con.register("_source_files", self._table(self.files(name, compared)))
        try:
            days = {day for (day,) in con.execute("""
                select distinct coalesce(now.snapshot_date, before.snapshot_date)
                from _source_files as now
                full outer join (
                    select * from meta.lake_files
                    where source = ? and (list_contains(?::date[], snapshot_date) or (snapshot_date is null and ?))
                ) as before on before.path = now.path
                where now.path is null or before.path is null
                   or now.size <> before.size or now.mtime_ns <> before.mtime_ns""",
                [name, sorted(day for day in compared if day), None in compared]).fetchall()}
        finally:
            con.unregister("_source_files")
        self._compared[name] = compared
        self._changed[name] = None if None in days else days
        return self._changed[name]

    def rebuilt(self, con, name: str) -> set[date | None]:
        """The dates of `name` this build reads anew: the changed ones, or every date the source holds when all
        count as changed (a full refresh, or a changed file with no date); None stands for files with no date."""
        days = self.changed(con, name)
        return set(self._found(name).survey.entries) if days is None else days

    def record(self, con) -> None:
        """meta.lake_files and meta.lake_markers become what this build found: the files of the dates it
        compared replace those dates' rows; the others were unchanged."""
        for name in self._futures:
            self.changed(con, name)
        scopes = [(name, day) for name, days in self._compared.items() for day in days]
        con.register("_scopes", pa.table([pa.array([s for s, _ in scopes], pa.string()),
                                          pa.array([d for _, d in scopes], pa.date32())],
                                         names=["source", "snapshot_date"]))
        con.register("_listed_files", self._table(
            [f for name, days in self._compared.items() for f in self.files(name, days)]))
        con.register("_markers", self._markers())
        try:
            con.execute("""delete from meta.lake_files as before where exists (
                select 1 from _scopes where _scopes.source = before.source
                   and _scopes.snapshot_date is not distinct from before.snapshot_date)""")
            con.execute("insert into meta.lake_files select * from _listed_files")
            con.execute("delete from meta.lake_markers where list_contains(?, source)", [list(self._futures)])
            con.execute("insert into meta.lake_markers select * from _markers")
        finally:
            for view in ("_scopes", "_listed_files", "_markers"):
                con.unregister(view)

    def _markers(self) -> pa.Table:
        settled = self._started_ns - SETTLE_NS
        surveys = {name: self._found(name).survey for name in self._futures}
        rows = [(name, day, size, mtime if mtime < settled else -1)
                for name, survey in surveys.items() for day, (size, mtime) in survey.markers.items()
                if day in survey.entries]  # a marker whose folder is gone describes nothing
        return pa.table([pa.array(column, type) for column, type in zip(
            zip(*rows) if rows else ([], [], [], []), MARKERS_SCHEMA.types)], schema=MARKERS_SCHEMA)

    @staticmethod
    def _table(listed: list[lake_sources.LakeFile]) -> pa.Table:
        return pa.table([
            pa.array([f.source for f in listed], pa.string()), pa.array([f.path for f in listed], pa.string()),
            pa.array([f.size for f in listed], pa.int64()), pa.array([f.mtime_ns for f in listed], pa.int64()),
            pa.array([f.snapshot_date for f in listed], pa.date32())], schema=LISTED_SCHEMA)

    def close(self) -> None:
        """Ends the listing thread; after a failed build, without listing what no one will read."""
        self._pool.shutdown(wait=False, cancel_futures=True)
