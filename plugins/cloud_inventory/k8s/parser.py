"""Reading a bastion's `kubectl get ... --all-namespaces -o json` dump, gzipped or plain, as a stream.

`iter_objects` streams the Kubernetes objects out of a dump with ijson, never holding the whole dump:
a `List` (objects in `items`, yielded as each one completes) or a single object. Every block of the
uncompressed JSON is checked against the dump limits (`limits.py`: depth, item, string and whitespace
sizes, the dump's size) before any parser reads it. Anything that is not a readable dump of Kubernetes
objects within those limits raises `DumpError(reason)`, possibly after some objects were already
yielded, so a dump is all-or-nothing for its callers:

- `parse_dump` collects the rows of every table and raises before returning anything;
- `iter_batches` streams batches of rows for writers that discard everything on an exception
  (one `parquet_sink` per table inside one `ExitStack`: no file moves into place unless all complete).
"""
from __future__ import annotations

import gzip
import itertools
import io
import zlib
from datetime import date, datetime
from typing import Any, BinaryIO, Iterator

import ijson
from ijson.common import ObjectBuilder

from cloud_inventory.k8s.kinds import TABLES, to_row
from cloud_inventory.k8s.limits import LimitExceeded, Scanner
from cloud_inventory.settings import DumpLimits

GZIP_MAGIC = b"\x1f\x8b"
# Bytes checked against the limits, then handed to ijson, at a time. ijson builds every object a read completes
# before handing out the first (about six times their JSON size), and its lexer (yajl) reads a token cut by a
# read again from the token's start, so a string of length L costs about L^2 / (2 BLOCK) more: 8x a 4 MiB
# string (the limit). The scan is fastest around this size too (its arrays stay in the CPU's cache).
BLOCK = 256 * 1024
BATCH_ROWS = 5_000
BATCH_RAW_BYTES = 64 * 1024 * 1024  # or fewer rows, when their objects are large


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


def _decompressed(stream: BinaryIO) -> Any:
    """The dump's JSON bytes as a reader: gunzipped when it starts with the gzip magic bytes, else as is."""
    head = _read_exactly(stream, 2)
    if not head:
        raise DumpError("empty dump: the object has no bytes")
    reader: Any = _Replay(head, stream)
    return _Gunzip(reader) if head == GZIP_MAGIC else reader


def _read_exactly(stream: Any, size: int) -> bytes:
    """`size` bytes, or fewer only at the end of the stream (streams may return short reads)."""
    parts, wanted = [], size
    while wanted > 0:
        chunk = stream.read(wanted)
        if not chunk:
            break
        parts.append(chunk)
        wanted -= len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _checked_blocks(stream: BinaryIO, limits: DumpLimits) -> Iterator[tuple[bytes, int]]:
    """(block, index of the last List item end in it or -1) of the uncompressed JSON, each within the limits."""
    reader, scanner = _decompressed(stream), Scanner(limits)
    compressed = isinstance(reader, _Gunzip)
    seen_json = False
    while block := _read_exactly(reader, BLOCK):
        try:
            end = scanner.scan(block)
        except LimitExceeded as error:
            raise DumpError(error.reason) from None
        seen_json = seen_json or bool(block.strip())
        yield block, end
    if not seen_json:
        raise DumpError("empty dump: " + ("the gzip holds no JSON" if compressed else "no JSON, only whitespace"))


class _Blocks:
    """A reader over checked blocks for ijson, a block a read; `_took` sees each block."""

    def __init__(self, blocks: Iterator[tuple[bytes, int]]):
        self.blocks = blocks

    def _took(self, block: bytes, end: int) -> None:
        pass

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to tell bytes from text
            return b""
        for block, end in self.blocks:
            self._took(block, end)
            return block
        return b""


class _Head(_Blocks):
    """The reader of the top level: keeps the blocks it took, which the items are read from again."""

    def __init__(self, blocks: Iterator[tuple[bytes, int]]):
        super().__init__(blocks)
        self.taken: list[tuple[bytes, int]] = []

    def _took(self, block: bytes, end: int) -> None:
        self.taken.append((block, end))


def _describe(event: str) -> str:
    return {"start_array": "an array", "string": "a string", "number": "a number", "boolean": "a boolean",
            "null": "null"}.get(event, event)


class _TopLevel:
    """What the event stream said about the document outside `items`: built as an object as it passes."""

    def __init__(self) -> None:
        self.builder = ObjectBuilder()
        self.is_list = False
        self.started = False


def _build_top_level(events: Iterator[tuple[str, str, Any]], top: _TopLevel) -> bool:
    """Builds the top level from `events` until the top-level `items` array starts (True) or they end (False).

    Only the first top-level `items` array makes a List; the events inside it are left to the caller.
    """
    build = top.builder.event
    for prefix, event, value in events:
        if not top.started:
            top.started = True
            if event != "start_map":
                raise DumpError(f"not Kubernetes objects: the top level is {_describe(event)}, "
                                "not a List or an object")
        if prefix == "items" and event == "start_array" and not top.is_list:
            top.is_list = True
            return True
        build(event, value)
    return False


def _top_level_of(data: bytes) -> dict:
    """The top level of a List (without its items) from a document whose items are not built: the tail of a dump."""
    top = _TopLevel()
    events = ijson.parse(io.BytesIO(data), use_float=True)
    if _build_top_level(events, top):
        for prefix, event, _ in events:  # skip the items
            if prefix == "items" and event == "end_array":
                break
        _build_top_level(events, top)
    return top.builder.value


class _Items(_Blocks):
    """What ijson's C parser reads a List's items from: the blocks the top level was read from, then the rest.

    The C parser builds the items without passing each JSON event through Python, but says nothing about
    the top level after the items (the List's `kind`). The scan knows where each item ends, so only the
    bytes after the last item end are kept: `tail()`, where the top level after the items is read.
    """

    def __init__(self, head: _Head):
        super().__init__(itertools.chain(head.taken, head.blocks))
        self._kept: list[bytes] = []  # the bytes after the last item end (all bytes before one)
        self._ended = False

    def _took(self, block: bytes, end: int) -> None:
        if end >= 0:
            self._kept, self._ended = [block[end + 1:]], True
        else:
            self._kept.append(block)

    def tail(self) -> bytes:
        """After the last item, a document whose top level reads like the dump's; all of it when no item ended."""
        data = b"".join(self._kept)
        return b'{"items":[0' + data if self._ended else data


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


def iter_objects(stream: BinaryIO, limits: DumpLimits = DumpLimits()) -> Iterator[dict]:
    """Every Kubernetes object in the dump, streamed; raises DumpError (maybe after yielding some).

    The top level is read event by event until its `items` array starts; the items of a List are then
    built by ijson's C parser reading the dump again from its first byte (only the head was read twice).
    """
    head = _Head(_checked_blocks(stream, limits))
    top = _TopLevel()
    index = -1
    try:
        if not _build_top_level(ijson.parse(head, buf_size=BLOCK, use_float=True), top):
            document = top.builder.value  # no top-level items array: a single object (or not Kubernetes)
        else:
            items = _Items(head)
            # (the objects of a second top-level items array, a duplicate key kubectl never writes, are read too)
            for index, obj in enumerate(ijson.items(items, "items.item", buf_size=BLOCK, use_float=True)):
                _check(obj, f"item {index}")
                yield obj
            document = {**top.builder.value, **_top_level_of(items.tail())}
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
              snapshot_date: date, limits: DumpLimits = DumpLimits()) -> Iterator[tuple[str, dict]]:
    """(table, row) per object, streamed; may raise DumpError after yielding."""
    context = {"cluster": cluster, "account_id": account_id, "region": region, "dump_at": dump_at,
               "snapshot_date": snapshot_date}
    for obj in iter_objects(stream, limits):
        yield to_row(obj, context)


def iter_batches(stream: BinaryIO, *, cluster: str, account_id: str, region: str, dump_at: datetime,
                 snapshot_date: date, batch_rows: int = BATCH_ROWS, limits: DumpLimits = DumpLimits(),
                 ) -> Iterator[tuple[str, list[dict]]]:
    """(table, rows) batches of at most `batch_rows`, each table's remainder at the end; every table's rows
    are handed out too whenever the rows waiting hold BATCH_RAW_BYTES of `raw`, so large objects stay bounded.

    May raise DumpError after yielding batches: write them only into sinks that are discarded on an
    exception, or use `parse_dump`.
    """
    pending: dict[str, list[dict]] = {}
    raw_bytes = 0
    for table, row in iter_rows(stream, cluster=cluster, account_id=account_id, region=region,
                                dump_at=dump_at, snapshot_date=snapshot_date, limits=limits):
        rows = pending.setdefault(table, [])
        rows.append(row)
        raw_bytes += len(row["raw"])
        if raw_bytes >= BATCH_RAW_BYTES:
            yield from ((name, waiting) for name, waiting in pending.items() if waiting)
            pending, raw_bytes = {}, 0
        elif len(rows) >= batch_rows:
            yield table, rows
            raw_bytes -= sum(len(done["raw"]) for done in rows)
            pending[table] = []
    for table, rows in pending.items():
        if rows:
            yield table, rows


def parse_dump(stream: BinaryIO, cluster: str, account_id: str, region: str, dump_at: datetime,
               snapshot_date: date, limits: DumpLimits = DumpLimits()) -> dict[str, list[dict]]:
    """Every table's rows (every table present, empty when the dump had none of that kind), or DumpError.

    Holds all rows in memory; nothing is returned unless the whole dump was read.
    """
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    for table, row in iter_rows(stream, cluster=cluster, account_id=account_id, region=region,
                                dump_at=dump_at, snapshot_date=snapshot_date, limits=limits):
        tables[table].append(row)
    return tables
