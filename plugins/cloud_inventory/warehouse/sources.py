"""The relations models read that are not models: the lake's datasets and the seeds.

- `lake_aws_<resource_type>`: raw/aws/<type>/dt=*/account_id=*/region=*/*.parquet, one per registry entry
- `lake_k8s_<table>`: raw/k8s/<table>/dt=*/cluster=*/*.parquet, one per Kubernetes kind table
- `lake_pricing_aws`: raw/aws_pricing/prices/dt=*/*.parquet, the aws_prices DAG's answers (pricing/dataset.py)
- `lake_manifest_aws`: manifests/aws/dt=*/.../manifest.parquet; `lake_manifest_k8s`: the cluster ledgers
(The seeds, `seed_*`, are in seeds.py.)

Every source exists even when the lake has no file for it (an empty relation with the dataset's
schema), so an empty lake builds empty marts. A build binds each source in its own DuckDB
connection, to all of its files or (for an incremental model) to the files of some dates only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Iterator

import pyarrow as pa
from pyarrow import fs as pafs

from cloud_inventory.aws.registry import REGISTRY
from cloud_inventory.aws.transform import AWS_SCHEMA
from cloud_inventory.k8s.kinds import SCHEMAS as K8S_SCHEMAS
from cloud_inventory.k8s.ledger import LEDGER_SCHEMA
from cloud_inventory.lake import WRITTEN, Lake
from cloud_inventory.manifest import MANIFEST_SCHEMA
from cloud_inventory.pricing import dataset as prices_dataset


@dataclass(frozen=True)
class LakeFile:
    source: str
    path: str
    size: int
    mtime_ns: int
    snapshot_date: date | None


@dataclass(frozen=True)
class LakeSource:
    name: str
    folder: tuple[str, ...]  # under the lake root
    schema: pa.Schema
    dated: bool = True  # files sit under dt=<date>/ folders


def lake_sources() -> dict[str, LakeSource]:
    sources = [LakeSource(f"lake_aws_{entry.name}", ("raw", "aws", entry.name), AWS_SCHEMA) for entry in REGISTRY]
    sources += [LakeSource(f"lake_k8s_{table}", ("raw", "k8s", table), schema) for table, schema in K8S_SCHEMAS.items()]
    sources.append(LakeSource("lake_pricing_aws", prices_dataset.FOLDER, prices_dataset.PRICES_SCHEMA))
    sources += [LakeSource("lake_manifest_aws", ("manifests", "aws"), MANIFEST_SCHEMA),
                LakeSource("lake_manifest_k8s", ("manifests", "k8s"), LEDGER_SCHEMA, dated=False)]
    return {source.name: source for source in sources}


@dataclass
class Survey:
    """A source's folders by snapshot date, and the markers the lake writer left for each date (lake.py),
    read without listing the files inside: one directory listing of the source and one of its markers."""
    entries: dict[date | None, list[str]]  # date -> its dt= folder; None -> anything not in a dated folder
    markers: dict[date, tuple[int, int]]  # date -> (size, mtime_ns) of <source>/_written/dt=<date>


def survey(lake: Lake, source: LakeSource) -> Survey:
    base = lake.path(*source.folder)
    entries: dict[date | None, list[str]] = {}
    for path, is_dir in _entries(lake, base):
        name = path.rsplit("/", 1)[1]
        if name == WRITTEN and is_dir:
            continue
        day = _folder_date(name) if source.dated and is_dir else None
        entries.setdefault(day, []).append(path)
    markers = {}
    if source.dated:
        for info in _infos(lake, lake.path(*source.folder, WRITTEN)):
            day = _folder_date(info.base_name)
            if day and info.type == pafs.FileType.File:
                markers[day] = (info.size or 0, info.mtime_ns or 0)
    return Survey(entries, markers)


def list_files(lake: Lake, source: LakeSource, entries: Iterable[str] | None = None,
               day: date | None = None) -> list[LakeFile]:
    """The Parquet files under `entries` (folders or files of one Survey date), each with `day` as its snapshot
    date; the whole source by default, each file with the date of the dt= folder it lies in (a file outside
    one has none). Temporary files of writes in flight are not *.parquet."""
    if entries is None:
        return sorted((f for day, paths in survey(lake, source).entries.items()
                       for f in list_files(lake, source, paths, day)), key=lambda f: f.path)
    files = []
    for entry in entries:
        if entry.endswith(".parquet"):  # a file directly in the source's folder
            files.extend(_files(source, [lake.fs.get_file_info(entry)], day))
        elif not lake.is_s3:
            files.extend(_walk_local(source, entry, day) if os.path.isdir(entry) else ())
        elif lake.fs.get_file_info(entry).type == pafs.FileType.Directory:
            files.extend(_files(source, lake.fs.get_file_info(pafs.FileSelector(entry, recursive=True)), day))
    return sorted(files, key=lambda f: f.path)


def _files(source: LakeSource, infos, day: date | None) -> Iterator[LakeFile]:
    for info in infos:
        if info.type == pafs.FileType.File and info.path.endswith(".parquet"):
            yield LakeFile(source.name, info.path, info.size or 0, info.mtime_ns or 0, day)


def _entries(lake: Lake, folder: str) -> Iterator[tuple[str, bool]]:
    """(path, is a folder) of each entry directly in `folder`."""
    if not lake.is_s3:
        if os.path.isdir(folder):
            with os.scandir(folder) as found:
                yield from ((entry.path, entry.is_dir(follow_symlinks=False)) for entry in found)
        return
    for info in _infos(lake, folder):
        yield info.path, info.type == pafs.FileType.Directory


def _infos(lake: Lake, folder: str) -> list[pafs.FileInfo]:
    if lake.fs.get_file_info(folder).type != pafs.FileType.Directory:
        return []
    return lake.fs.get_file_info(pafs.FileSelector(folder))


def _folder_date(name: str) -> date | None:
    if name.startswith("dt="):
        try:
            return date.fromisoformat(name[3:])
        except ValueError:
            pass  # not a date: its files have none; listed every build, and when one changes all dates are redone
    return None


def _walk_local(source: LakeSource, folder: str, day: date | None) -> Iterator[LakeFile]:
    """os.scandir (file types from the directory entries, one stat per file): about half the time of
    pyarrow's listing."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk_local(source, entry.path, day)
            elif entry.name.endswith(".parquet"):
                stat = entry.stat()
                yield LakeFile(source.name, entry.path, stat.st_size, stat.st_mtime_ns, day)


def bind(con, lake: Lake, source: LakeSource, files: Iterable[LakeFile], *, by_name: bool = False) -> None:
    """Make `source.name` a relation over exactly `files` in this connection (temporary, not saved).

    Local files are read as DuckDB reads a list of Parquet files: the first file's columns, matched by name
    in the others. With union_by_name, which also reads files of different columns (nulls where a file has
    none), DuckDB reads every file's footer whenever a query binds the view: ~0.4 s per 3,000 files, paid
    again by each query. So that is used only when needed: when the first file lacks a column of the
    source's schema, or (`by_name`, the runner's retry) when a query failed on a file whose columns differ.
    """
    paths = [f.path for f in files]
    con.execute(f"drop view if exists {source.name}")
    try:
        con.unregister(source.name)
    except Exception:  # noqa: BLE001 - nothing registered under that name yet
        pass
    if not paths:
        con.register(source.name, source.schema.empty_table())
    elif lake.is_s3:
        import pyarrow.dataset as ds

        # DuckDB reads S3 through its httpfs extension, which is downloaded at run time; pyarrow's S3
        # filesystem (what wrote the lake) needs nothing more, and DuckDB scans the dataset lazily.
        con.register(source.name, ds.dataset(paths, filesystem=lake.fs, format="parquet", schema=source.schema))
    else:
        listed = ", ".join("'" + path.replace("'", "''") + "'" for path in paths)

        def view(union: bool) -> None:
            con.execute(f"create or replace temp view {source.name} as select * from read_parquet([{listed}], "
                        f"union_by_name = {str(union).lower()}, hive_partitioning = false)")

        view(by_name)
        if not by_name and not set(source.schema.names) <= {row[0] for row in con.execute(
                f"describe {source.name}").fetchall()}:
            view(True)
