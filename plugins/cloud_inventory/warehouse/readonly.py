"""Opening the warehouse for people's queries (the analyst CLI, the inventory explorer): read-only and sandboxed.

`read_only=True` alone only protects the warehouse file: DuckDB's external access would still let a query write
any file (`COPY ... TO`, `EXPORT DATABASE`), read any file (`read_text('/etc/passwd')`, `read_csv`, `glob`),
attach other databases, install and load extensions, and `SET` its way back. So the connection is opened with
external access disabled, extension autoloading and autoinstalling, community extensions, persistent secrets and
Python replacement scans off, and the configuration locked. Everything is passed to `duckdb.connect(config=...)`,
so it holds before the first statement runs (external access can only be disabled, never enabled, while the
database runs; it must be off at connect time for nothing to slip in first), and `lock_configuration` comes last
so every other option is set before the lock. Every warehouse object still reads: the models' views only read
other tables of the warehouse (the lake's views are temporary, gone with the build), which needs no external
access.

DuckDB keeps one database instance per file and process: while a sandboxed connection is open, opening the same
file in the same process with a different configuration fails ("different configuration than existing
connections"), so a process serving queries (the explorer) should open the warehouse only through here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

SANDBOX: dict[str, Any] = {
    "enable_external_access": False,       # no file or network reads or writes, no ATTACH, no INSTALL/LOAD
    "autoload_known_extensions": False,    # a query naming an extension's function does not load it
    "autoinstall_known_extensions": False,  # ... nor download it
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,     # CREATE PERSISTENT SECRET would write under ~/.duckdb
    "python_enable_replacements": False,   # a table name never resolves to a Python variable of the caller
    "lock_configuration": True,            # last: no SET, RESET or PRAGMA changes any of the above
}

# DuckDB's messages when the sandbox or the read-only attachment refuses a statement (PermissionException covers
# file, network and extension access; the rest are InvalidInputException or CatalogException).
_REFUSED_MESSAGES = ("read-only mode", "configuration has been locked", "while database is running",
                     "Persistent secrets are disabled")
REFUSED = "refused: the warehouse is read-only and file, network and settings access are disabled"


def open_readonly(path: Path, **settings: Any):
    """A read-only, sandboxed DuckDB connection to the warehouse at `path`. `settings` are further DuckDB options
    set before the lock (e.g. memory_limit, threads); they cannot loosen the sandbox."""
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}")
    loosened = sorted(name for name in settings if name in SANDBOX)
    if loosened:
        raise ValueError(f"the sandbox's own options cannot be given: {', '.join(loosened)}")
    return duckdb.connect(str(path), read_only=True, config={**settings, **SANDBOX})


def refusal(error: Exception) -> str | None:
    """One line saying the sandbox refused the statement (with DuckDB's own first line), or None when `error` is
    any other error (a typo, a missing table)."""
    import duckdb

    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, duckdb.PermissionException) or (
            isinstance(error, duckdb.Error) and any(message in first_line for message in _REFUSED_MESSAGES)):
        return f"{REFUSED} ({first_line})"
    return None
