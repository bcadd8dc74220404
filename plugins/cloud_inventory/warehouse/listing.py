"""The lake's files for one build, listed in a background thread while the build runs.

Listing ~90,000 files costs a daily build 1.5-2 s warm (much more when the directory cache is cold), as much
as several of its models. The sources are listed one by one in the order the models first read them, so
listing the next source overlaps building the models of the one before: os.scandir's system calls and
DuckDB's queries both release the GIL. A model waits only if its source is not listed yet.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

import pyarrow as pa

from cloud_inventory.lake import Lake
from cloud_inventory.warehouse import sources as lake_sources

LISTED_SCHEMA = pa.schema([("source", pa.string()), ("path", pa.string()), ("size", pa.int64()),
                           ("mtime_ns", pa.int64()), ("snapshot_date", pa.date32())])


class LakeListing:
    def __init__(self, lake: Lake, sources: dict[str, lake_sources.LakeSource], order: list[str]):
        """Starts listing every source, those in `order` first."""
        names = list(dict.fromkeys([name for name in order if name in sources] + list(sources)))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-listing")
        self._futures: dict[str, Future] = {
            name: self._pool.submit(lake_sources.list_files, lake, sources[name]) for name in names}
        self._changed: dict[str, set[date] | None] = {}
        self._tables: dict[str, pa.Table] = {}
        self.waited = 0.0  # seconds the build's threads spent waiting for a listing, summed
        self._lock = threading.Lock()

    def files(self, name: str) -> list[lake_sources.LakeFile]:
        future = self._futures[name]
        if future.done():
            return future.result()
        started = time.monotonic()
        try:
            return future.result()
        finally:
            with self._lock:  # staging threads wait side by side: their waits are summed
                self.waited += time.monotonic() - started

    def changed(self, con, name: str) -> set[date] | None:
        """The snapshot dates of `name` whose files differ from those meta.lake_files recorded in the last
        build (added, changed or removed); None when a changed file has no date (all dates)."""
        if name not in self._changed:
            con.register("_source_files", self.table([name]))
            try:
                days = {day for (day,) in con.execute("""
                    select distinct coalesce(now.snapshot_date, before.snapshot_date)
                    from _source_files as now
                    full outer join (select * from meta.lake_files where source = ?) as before
                        on before.path = now.path
                    where now.path is null or before.path is null
                       or now.size <> before.size or now.mtime_ns <> before.mtime_ns""", [name]).fetchall()}
            finally:
                con.unregister("_source_files")
            self._changed[name] = None if None in days else days
        return self._changed[name]

    def table(self, names: list[str] | None = None) -> pa.Table:
        """The files of `names` (every source by default) as rows of meta.lake_files."""
        for name in names or self._futures:
            if name not in self._tables:
                listed = self.files(name)
                self._tables[name] = pa.table([
                    pa.array([f.source for f in listed], pa.string()), pa.array([f.path for f in listed], pa.string()),
                    pa.array([f.size for f in listed], pa.int64()), pa.array([f.mtime_ns for f in listed], pa.int64()),
                    pa.array([f.snapshot_date for f in listed], pa.date32())], schema=LISTED_SCHEMA)
        return pa.concat_tables([self._tables[name] for name in names or self._futures])

    def close(self) -> None:
        """Ends the listing thread; after a failed build, without listing what no one will read."""
        self._pool.shutdown(wait=False, cancel_futures=True)
