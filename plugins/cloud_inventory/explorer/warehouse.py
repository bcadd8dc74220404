"""The warehouse as the explorer reads it: read-only, sandboxed, and reopened when a build replaced it.

A build writes a copy and moves it onto the warehouse's path (warehouse/runner.py). A reader that keeps the old
file open keeps reading it whole (the old inode lives on), and holds no lock the build waits for, so reads never
block builds and builds never break reads. Each request stats the path; when the file is another one, the next
requests get a new generation on it, and the old generation is closed once its last request is done.

DuckDB keeps one database per file path and process, so a second connect() to the path would return the old
file's database while any connection to it is open. So a generation is an in-memory DuckDB that ATTACHes the file
read-only (a database of its own, whatever else is open), then disables external access and locks its
configuration (warehouse/readonly.py's sandbox): no query can read or write a file, attach another database,
load an extension or change a setting. The explorer runs only its own parameterised queries.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

MEMORY_LIMIT = "1GB"  # per generation: the api-server is not the place for DuckDB's default of 80% of the machine
THREADS = 2


class WarehouseMissing(RuntimeError):
    """There is no warehouse file yet (inventory_marts has not run)."""


@dataclass
class Generation:
    """One warehouse file, open; `users` requests are reading it."""

    identity: tuple[int, int, int]  # (device, inode, mtime_ns) of the file it was opened on
    connection: Any
    users: int = 0
    retired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def open_generation(path: Path) -> Any:
    """A sandboxed in-memory DuckDB with the warehouse at `path` attached read-only and in use."""
    import duckdb

    from cloud_inventory.warehouse.readonly import SANDBOX

    before_lock = {name: value for name, value in SANDBOX.items()
                   if name not in ("enable_external_access", "lock_configuration")}
    connection = duckdb.connect(":memory:", config={**before_lock, "memory_limit": MEMORY_LIMIT, "threads": THREADS})
    try:
        connection.execute("ATTACH ? AS warehouse (READ_ONLY)", [str(path)])
        connection.execute("USE warehouse")
        connection.execute("SET enable_external_access = false")  # after the one file it needs is open
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


class Warehouse:
    """The warehouse at `path`, a generation per file that has been there."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._current: Generation | None = None
        self._lock = threading.Lock()

    def _identity(self) -> tuple[int, int, int]:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise WarehouseMissing(f"no warehouse at {self.path} yet: the inventory_marts DAG builds it") from None
        return stat.st_dev, stat.st_ino, stat.st_mtime_ns

    def _acquire(self) -> Generation:
        identity = self._identity()
        with self._lock:
            current = self._current
            if current is None or current.identity != identity:
                fresh = Generation(identity, open_generation(self.path))
                if current is not None:
                    self._retire(current)
                self._current = current = fresh
            current.users += 1
            return current

    def _release(self, generation: Generation) -> None:
        with self._lock:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                generation.connection.close()

    def _retire(self, generation: Generation) -> None:  # under self._lock
        generation.retired = True
        if generation.users == 0:
            generation.connection.close()

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor of the current generation for one request (DuckDB cursors are per thread)."""
        generation = self._acquire()
        try:
            cursor = generation.connection.cursor()
            try:
                cursor.execute("USE warehouse")  # (the catalog in use is each cursor's own)
                yield cursor
            finally:
                cursor.close()
        finally:
            self._release(generation)

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None


_OPEN: dict[Path, Warehouse] = {}
_OPEN_LOCK = threading.Lock()


def warehouse_at(path: Path) -> Warehouse:
    """The process's one Warehouse for `path` (settings are read per request, so tests may point elsewhere)."""
    path = Path(path).resolve()
    with _OPEN_LOCK:
        if path not in _OPEN:
            _OPEN[path] = Warehouse(path)
        return _OPEN[path]
