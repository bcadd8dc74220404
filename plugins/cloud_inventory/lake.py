"""The lake: date-partitioned Parquet, in a local folder or on S3, written so readers never see half a partition.

Layout (design.md): <lake>/raw/aws/<resource_type>/dt=<date>/account_id=<id>/region=<region>/part-0.parquet
                    <lake>/raw/k8s/<kind table>/dt=<date>/cluster=<name>/<dump time>.parquet (one per dump)
Every file is written under a temporary name and moved into place when complete:
a rename on a local disk, a copy of a finished object on S3. A rerun replaces the file whole, and
an extraction that fails part-way leaves the previous file untouched.

After each file moves into a date's folder, the date's marker <dataset>/_written/dt=<date> is rewritten, so
the model runner finds the dates written since its last build from one small listing per dataset instead
of a stat of every file (a year of a large estate is millions of files). A file changed by anything but
this writer is seen at the next full refresh.
"""
from __future__ import annotations

import os
import re
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
        if self.is_s3:
            # Outside the partition: deleting an S3 object makes pyarrow leave a folder marker behind.
            temporary = self.path("_tmp", f"{uuid.uuid4().hex}.tmp")
        else:
            temporary = f"{path}.{uuid.uuid4().hex}.tmp"  # same folder, so the rename is atomic; not *.parquet
            self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
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
        import pyarrow.dataset as ds

        base = self.path(*parts)
        if self.fs.get_file_info(base).type != pafs.FileType.Directory:
            return None
        # Partition values are columns in our files too, so the folder names are not read back.
        dataset = ds.dataset(base, filesystem=self.fs, format="parquet", schema=schema)
        return dataset.to_table()


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
