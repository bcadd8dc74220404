"""Reading a bastion's `kubectl get ... --all-namespaces -o json` dump, gzipped or plain, as a stream.

`iter_objects` streams the Kubernetes objects out of a dump with ijson, never holding the whole dump:
a `List` (objects in `items`, yielded as each one completes) or a single object. Anything that is not
a readable dump of Kubernetes objects raises `DumpError(reason)`, possibly after some objects were
already yielded, so a dump is all-or-nothing for its callers:

- `parse_dump` collects the rows of every table and raises before returning anything;
- `iter_batches` streams batches of rows for writers that discard everything on an exception
  (one `parquet_sink` per table inside one `ExitStack`: no file moves into place unless all complete).
"""
from __future__ import annotations

import gzip
import zlib
from datetime import date, datetime
from typing import Any, BinaryIO, Iterator

import ijson
from ijson.common import ObjectBuilder

from cloud_inventory.k8s.kinds import TABLES, to_row

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024
BATCH_ROWS = 5_000


class DumpError(Exception):
    """A dump that cannot be read as Kubernetes objects; `reason` says why, for the run log and the email.

    Retrying will not help: the dump itself is bad. Errors of the stream (network, S3) are not DumpErrors.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Replay:
    """A reader that first returns bytes already read from `stream` (the sniffed head), then the rest."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head, self._stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)


class _Gunzip:
    """A gzip reader whose decompression errors become DumpError with the reason an operator needs."""

    def __init__(self, stream: Any):
        self._file = gzip.GzipFile(fileobj=stream, mode="rb")

    def read(self, size: int = -1) -> bytes:
        try:
            return self._file.read(size)
        except EOFError as error:  # the stream ended before the gzip end-of-stream marker
            raise DumpError(f"truncated gzip: {error}") from None
        except (gzip.BadGzipFile, zlib.error) as error:  # bad header, bad deflate data, CRC or length mismatch
            raise DumpError(f"corrupt gzip: {error}") from None
        # Any other error is the source's own (a dropped connection): not the dump's fault, so not a
        # DumpError; it propagates for the task to retry.


def open_dump(stream: BinaryIO) -> Any:
    """The dump's JSON bytes as a reader: gunzipped when it starts with the gzip magic bytes, else as is."""
    head = _read_exactly(stream, 2)
    if not head:
        raise DumpError("empty dump: the object has no bytes")
    reader: Any = _Replay(head, stream)
    compressed = head == GZIP_MAGIC
    if compressed:
        reader = _Gunzip(reader)
    while True:  # skip leading whitespace (insignificant in JSON) to tell an empty dump apart
        first = reader.read(CHUNK)
        if not first:
            raise DumpError("empty dump: " + ("the gzip holds no JSON" if compressed else "no JSON, only whitespace"))
        if first.strip():
            break
    return _Replay(first, reader)


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _describe(event: str) -> str:
    return {"start_array": "an array", "string": "a string", "number": "a number", "boolean": "a boolean",
            "null": "null"}.get(event, event)


class _TopLevel:
    """What the event stream said about the document outside `items`: built as an object as it passes."""

    def __init__(self) -> None:
        self.builder = ObjectBuilder()
        self.is_list = False
        self.started = False


def _watch(events: Iterator[tuple[str, str, Any]], top: _TopLevel) -> Iterator[tuple[str, str, Any]]:
    """Pass the top-level `items` array's events on to the item builder; build the rest of the top level here."""
    build = top.builder.event
    in_items = False
    for event_tuple in events:
        if in_items:
            if event_tuple[1] == "end_array" and event_tuple[0] == "items":
                in_items = False
            yield event_tuple
            continue
        prefix, event, value = event_tuple
        if not top.started:
            top.started = True
            if event != "start_map":
                raise DumpError(f"not Kubernetes objects: the top level is {_describe(event)}, "
                                "not a List or an object")
        if prefix == "items" and event == "start_array" and not top.is_list:
            top.is_list = in_items = True
            yield event_tuple
            continue
        build(event, value)


def _check(obj: Any, where: str) -> None:
    if not isinstance(obj, dict):
        raise DumpError(f"not Kubernetes objects: {where} is not an object")
    kind = obj.get("kind")
    missing = [key for key in ("kind", "apiVersion") if not isinstance(obj.get(key), str) or not obj.get(key)]
    if missing:
        raise DumpError(f"not Kubernetes objects: {where} has no {' and no '.join(missing)}")
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise DumpError(f"{where} ({kind}) has no metadata; the whole dump is refused")
    if not metadata.get("name"):
        raise DumpError(f"{where} ({kind}) has no metadata.name; the whole dump is refused")


def iter_objects(stream: BinaryIO) -> Iterator[dict]:
    """Every Kubernetes object in the dump, streamed; raises DumpError (maybe after yielding some)."""
    reader = open_dump(stream)
    top = _TopLevel()
    index = -1
    try:
        for index, obj in enumerate(ijson.items(_watch(ijson.parse(reader, use_float=True), top), "items.item")):
            _check(obj, f"item {index}")
            yield obj
        document = top.builder.value
    except ijson.JSONError as error:
        where = f"after item {index}" if index >= 0 else "before the first item"
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DumpError(f"truncated or invalid JSON ({where}): {detail}") from None
    if not top.started or not isinstance(document, dict):
        raise DumpError("truncated or invalid JSON: no complete top-level object")
    if top.is_list:
        kind = document.get("kind")
        if not isinstance(kind, str) or not kind.endswith("List"):
            raise DumpError(f"not Kubernetes objects: top level has items but its kind is {kind!r}, not a List")
        return
    _check(document, "the top-level object")
    yield document


def iter_rows(stream: BinaryIO, *, cluster: str, account_id: str, region: str, dump_at: datetime,
              snapshot_date: date) -> Iterator[tuple[str, dict]]:
    """(table, row) per object, streamed; may raise DumpError after yielding."""
    context = {"cluster": cluster, "account_id": account_id, "region": region, "dump_at": dump_at,
               "snapshot_date": snapshot_date}
    for obj in iter_objects(stream):
        yield to_row(obj, context)


def iter_batches(stream: BinaryIO, *, cluster: str, account_id: str, region: str, dump_at: datetime,
                 snapshot_date: date, batch_rows: int = BATCH_ROWS) -> Iterator[tuple[str, list[dict]]]:
    """(table, rows) batches of at most `batch_rows`, each table's remainder at the end.

    May raise DumpError after yielding batches: write them only into sinks that are discarded on an
    exception, or use `parse_dump`.
    """
    pending: dict[str, list[dict]] = {}
    for table, row in iter_rows(stream, cluster=cluster, account_id=account_id, region=region,
                                dump_at=dump_at, snapshot_date=snapshot_date):
        rows = pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= batch_rows:
            yield table, rows
            pending[table] = []
    for table, rows in pending.items():
        if rows:
            yield table, rows


def parse_dump(stream: BinaryIO, cluster: str, account_id: str, region: str, dump_at: datetime,
               snapshot_date: date) -> dict[str, list[dict]]:
    """Every table's rows (every table present, empty when the dump had none of that kind), or DumpError.

    Holds all rows in memory; nothing is returned unless the whole dump was read.
    """
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    for table, row in iter_rows(stream, cluster=cluster, account_id=account_id, region=region,
                                dump_at=dump_at, snapshot_date=snapshot_date):
        tables[table].append(row)
    return tables
