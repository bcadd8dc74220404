"""The lake: date-partitioned Parquet, in a local folder or on S3, written so readers never see half a partition.

Layout (design.md): <lake>/raw/aws/<resource_type>/dt=<date>/account_id=<id>/region=<region>/part-0.parquet
                    <lake>/raw/k8s/<kind table>/dt=<date>/cluster=<name>/<dump time>.parquet (one per dump)
Every file is written under a temporary name and moved into place when complete:
a rename on a local disk, a copy of a finished object on S3. A rerun replaces the file whole, and
an extraction that fails part-way leaves the previous file untouched.

A writer killed with SIGKILL cannot delete its temporary file; the next write does:
- on a local disk the temporary file is <file>.<32 hex>.tmp beside the file, and its writer holds an exclusive
  flock on it from creating it until it is moved into place. The kernel drops the lock when the writer dies, so
  each write first removes the temporary files in its folder that it can lock without waiting: exactly the dead
  writers' ones, whatever their age.
- on S3 it is <lake>/_tmp/<32 hex>.tmp, which exists only from the moment its upload completes until the move a
  moment later; the first write of each Lake removes the _tmp/ objects older than STALE_S3_TEMPORARY_SECONDS.
  An upload killed before it completed leaves no object but an incomplete multipart upload, which only a bucket
  lifecycle rule removes (docs/operations.md).

After each file moves into a date's folder, the date's marker <dataset>/_written/dt=<date> is rewritten, so
the model runner finds the dates written since its last build from one small listing per dataset instead
of a stat of every file (a year of a large estate is millions of files). A file changed by anything but
this writer is seen at the next full refresh.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import time
import uuid
from contextlib import contextmanager
from datetime import date
from typing import Iterator
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

PART_FILE = "part-0.parquet"
COMPRESSION = "zstd"
ROW_GROUP_ROWS = 20_000
ROW_GROUP_RAW_BYTES = 64 * 1024 * 1024  # or fewer rows, when their raw JSON is large (Kubernetes pods with specs)
WRITTEN = "_written"  # <dataset>/_written/dt=<date>: rewritten after every write into that date's folder
_DATE_FOLDER = re.compile(r"/(dt=\d{4}-\d{2}-\d{2})/")
_TEMPORARY = re.compile(r"(.+\.)?[0-9a-f]{32}\.tmp")  # what replacing() names its temporary files, nothing else
STALE_S3_TEMPORARY_SECONDS = 24 * 3600

log = logging.getLogger(__name__)


def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem with boto3's settings: AWS_ENDPOINT_URL, region, default credential chain."""
    options = {"region": os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parsed = urlparse(endpoint)
        options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme or "https")
    return pafs.S3FileSystem(**options)


class Lake:
    def __init__(self, uri: str):
        self.uri = uri.rstrip("/")
        self.is_s3 = self.uri.startswith("s3://")
        if self.is_s3:
            self.fs: pafs.FileSystem = s3_filesystem()
            self.root = self.uri[len("s3://"):]
        else:
            self.fs = pafs.LocalFileSystem()
            self.root = os.path.abspath(self.uri)
        self._s3_temporaries_swept = False

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def aws_partition(self, resource_type: str, dt: date, account_id: str, region: str) -> str:
        return self.path("raw", "aws", resource_type, f"dt={dt.isoformat()}", f"account_id={account_id}",
                         f"region={region}", PART_FILE)

    def aws_manifest(self, dt: date, account_id: str, region: str) -> str:
        return self.path("manifests", "aws", f"dt={dt.isoformat()}", f"account_id={account_id}",
                         f"region={region}", "manifest.parquet")

    def k8s_dump_file(self, table: str, dt: date, cluster: str, stamp: str) -> str:
        return self.path("raw", "k8s", table, f"dt={dt.isoformat()}", f"cluster={cluster}", f"{stamp}.parquet")

    def k8s_ledger(self, cluster: str) -> str:
        return self.path("manifests", "k8s", f"cluster={cluster}", "dumps.parquet")

    def uri_of(self, path: str) -> str:
        return f"s3://{path}" if self.is_s3 else path

    @contextmanager
    def replacing(self, path: str) -> Iterator[str]:
        """Yield a temporary path to write; move it onto `path` only if the block completes."""
        lock = None
        if self.is_s3:
            self._remove_stale_s3_temporaries()
            # Outside the partition: deleting an S3 object makes pyarrow leave a folder marker behind.
            temporary = self.path("_tmp", f"{uuid.uuid4().hex}.tmp")
        else:
            folder = path.rsplit("/", 1)[0]
            self.fs.create_dir(folder, recursive=True)
            remove_dead_temporaries(folder)
            temporary, lock = _claim_temporary(path)  # same folder, so the rename is atomic; not *.parquet
        try:
            yield temporary
            self.fs.move(temporary, path)
            self.mark_written(path)
        except BaseException:
            try:
                if self.fs.get_file_info(temporary).type != pafs.FileType.NotFound:
                    self.fs.delete_file(temporary)
            except OSError:
                pass
            raise
        finally:
            if lock is not None:
                os.close(lock)  # only now: until the move, a cleaner must see this temporary file as alive

    def _remove_stale_s3_temporaries(self) -> None:
        """Once per Lake: the _tmp/ objects of writers killed between their upload and their move."""
        if self._s3_temporaries_swept:
            return
        self._s3_temporaries_swept = True
        selector = pafs.FileSelector(self.path("_tmp"), allow_not_found=True)
        oldest = time.time() - STALE_S3_TEMPORARY_SECONDS
        try:
            stale = [info.path for info in self.fs.get_file_info(selector)
                     if info.type == pafs.FileType.File and _TEMPORARY.fullmatch(info.base_name)
                     and info.mtime is not None and info.mtime.timestamp() < oldest]
            for temporary in stale:
                try:
                    self.fs.delete_file(temporary)
                except FileNotFoundError:  # another writer removed it first
                    pass
        except OSError as error:  # housekeeping: never the reason a write fails
            log.warning("could not remove old temporary objects under s3://%s: %s", self.path("_tmp"), error)
            return
        if stale:
            log.warning("removed %d temporary object(s) that killed lake writes left: %s",
                        len(stale), ", ".join(f"s3://{name}" for name in stale))

    def written_marker(self, path: str) -> str | None:
        """The marker of the date folder `path` lies in (None outside any dt=<date>/ folder)."""
        match = _DATE_FOLDER.search(path, len(self.root))
        return f"{path[:match.start()]}/{WRITTEN}/{match.group(1)}" if match else None

    def mark_written(self, path: str) -> None:
        """Rewrite the marker of `path`'s date: a new time and a new content, so any reader sees it changed."""
        marker = self.written_marker(path)
        if marker:
            if not self.is_s3:
                self.fs.create_dir(marker.rsplit("/", 1)[0], recursive=True)
            with self.fs.open_output_stream(marker) as out:
                out.write(uuid.uuid4().hex.encode())

    def write_table(self, path: str, table: pa.Table) -> None:
        with self.replacing(path) as temporary:
            pq.write_table(table, temporary, filesystem=self.fs, compression=COMPRESSION)

    def exists(self, path: str) -> bool:
        return self.fs.get_file_info(path).type == pafs.FileType.File

    def read_dataset(self, *parts: str, schema: pa.Schema | None = None) -> pa.Table | None:
        """All Parquet files under a folder, or None when there is no such folder."""
        base = self.path(*parts)
        if self.fs.get_file_info(base).type != pafs.FileType.Directory:
            return None
        import pyarrow.dataset as ds  # here: with pandas, which it imports, 0.5 s of CPU a first extract task skips

        # Partition values are columns in our files too, so the folder names are not read back.
        dataset = ds.dataset(base, filesystem=self.fs, format="parquet", schema=schema)
        return dataset.to_table()


def _claim_temporary(path: str) -> tuple[str, int]:
    """A new temporary file beside `path`, created and locked: (its path, the descriptor holding the lock)."""
    while True:
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        descriptor = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask, as any file
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(descriptor, temporary):
                return temporary, descriptor
        except BlockingIOError:
            pass
        # A cleaner locked it in the instant between creating and locking it, and removes it: take another name.
        os.close(descriptor)


def _same_file(descriptor: int, path: str) -> bool:
    try:
        on_disk, held = os.stat(path, follow_symlinks=False), os.fstat(descriptor)
    except FileNotFoundError:
        return False
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def remove_dead_temporaries(folder: str) -> list[str]:
    """Remove the temporary files in `folder` that no live writer holds (their writers were killed)."""
    removed = []
    try:
        entries = [entry for entry in os.scandir(folder)
                   if _TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return removed
    for entry in entries:
        try:
            descriptor = os.open(entry.path, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:  # moved into place or removed meanwhile
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its writer is alive
            os.close(descriptor)
            continue
        try:
            # Holding the lock, nobody else can move or remove it; the name must still be the file locked.
            if _same_file(descriptor, entry.path):
                os.unlink(entry.path)
                removed.append(entry.path)
        finally:
            os.close(descriptor)
    if removed:
        log.warning("removed %d temporary file(s) that killed lake writes left in %s: %s", len(removed), folder,
                    ", ".join(os.path.basename(path) for path in removed))
    return removed


class RowSink:
    """Buffers rows and writes them to an open Parquet writer one row group at a time: ROW_GROUP_ROWS rows,
    or fewer when their `raw` text reaches ROW_GROUP_RAW_BYTES, so memory stays bounded for large objects."""

    def __init__(self, writer: pq.ParquetWriter, schema: pa.Schema):
        self._writer, self._schema = writer, schema
        self._buffer: list[dict] = []
        self._raw_bytes = 0
        self.rows = 0

    def write(self, rows: list[dict]) -> None:
        for row in rows:
            self._buffer.append(row)
            self._raw_bytes += len(row.get("raw") or "")
            if len(self._buffer) >= ROW_GROUP_ROWS or self._raw_bytes >= ROW_GROUP_RAW_BYTES:
                self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self._schema))
            self.rows += len(self._buffer)
            self._buffer, self._raw_bytes = [], 0


@contextmanager
def parquet_sink(lake: Lake, path: str, schema: pa.Schema) -> Iterator[RowSink]:
    """Stream rows into one Parquet file in row groups, so an estate is never all in memory.

    The file replaces `path` only when the block completes; on an error the previous file stays.
    A block that writes no rows still leaves a file: "none exist" is an answer, not a gap.
    """
    with lake.replacing(path) as temporary:
        writer = pq.ParquetWriter(temporary, schema, filesystem=lake.fs, compression=COMPRESSION)
        sink = RowSink(writer, schema)
        try:
            yield sink
            sink.flush()
        finally:
            writer.close()
