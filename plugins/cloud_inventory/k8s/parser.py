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
import io
import itertools
import re
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


class _Recorder:
    """A reader that keeps what it read: the head of a dump, read again by the items parser."""

    def __init__(self, reader: Any):
        self.reader = reader
        self.chunks: list[bytes] = []

    def read(self, size: int = -1) -> bytes:
        data = self.reader.read(size)
        if data:
            self.chunks.append(data)
        return data

    def recorded(self) -> list[bytes]:
        """What was read so far, no longer kept here."""
        chunks, self.chunks = self.chunks, []
        return chunks


# kubectl indents 4 spaces a level: an item of a List closes with a brace indented 8 spaces on its own line
KUBECTL_ITEM_END = b"\n        }"
UNCONFIRMED_LIMIT = 1 << 20  # bytes read without a confirmed item end before every "}" is tried


class _Feeder:
    """The reader ijson's C parser reads a List from: the recorded head, then the rest of the dump.

    The C parser builds the items without passing each JSON event through Python, but says nothing about
    the top level after the items (the List's `kind`). So now and then a chunk is handed over in three
    pieces: up to a closing brace where an item probably ends, the brace alone, and the rest. If an item
    was completed by the brace alone, the item ends there for certain (an object completes at its closing
    brace and nowhere else), and only the bytes after it need keeping: `tail()`, where the top level
    after the items is read. The first guess is kubectl's layout, then the layout of the last confirmed
    item end; a dump read for a megabyte without a confirmed end has every brace of a chunk tried.
    """

    def __init__(self, head: list[bytes], reader: Any):
        self.items = 0  # items the caller has taken from the parser: set by the caller
        self._kept: list[bytes] = []  # the bytes after the last confirmed item end (all bytes before one)
        self._kept_size = 0
        self.confirmed = False
        self._item_end = KUBECTL_ITEM_END
        rest = iter(lambda: reader.read(CHUNK), b"")
        self._pieces = self._cut(itertools.chain(head, rest))

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        return next(self._pieces, b"")

    def tail(self) -> bytes:
        """After the last item, a document whose top level reads like the dump's; all of it when no item ended."""
        data = b"".join(self._kept)
        return b'{"items":[0' + data if self.confirmed else data

    def _keep(self, piece: bytes) -> bytes:
        self._kept.append(piece)
        self._kept_size += len(piece)
        return piece

    def _candidates(self, chunk: bytes) -> list[int]:
        if self._kept_size > UNCONFIRMED_LIMIT:
            return [match.start() for match in _BRACE.finditer(chunk)]
        at = chunk.rfind(self._item_end)
        return [at + len(self._item_end) - 1] if at >= 0 else []

    def _cut(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            start = 0
            for brace in self._candidates(chunk):
                if brace > start:
                    yield self._keep(chunk[start:brace])
                before = self.items
                yield self._keep(chunk[brace:brace + 1])
                if self.items > before:  # resumed only once the parser handed over what that brace completed
                    self._confirm(chunk, brace)
                start = brace + 1
            if start < len(chunk):
                yield self._keep(chunk[start:])

    def _confirm(self, chunk: bytes, brace: int) -> None:
        self._kept, self._kept_size, self.confirmed = [], 0, True
        line = chunk.rfind(b"\n", 0, brace)
        if line >= 0 and not chunk[line + 1:brace].strip():  # the item's closing brace has a line of its own
            self._item_end = chunk[line:brace + 1]


_BRACE = re.compile(rb"}")


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
    """Every Kubernetes object in the dump, streamed; raises DumpError (maybe after yielding some).

    The top level is read event by event until its `items` array starts; the items of a List are then
    built by ijson's C parser reading the dump again from its first byte (only the head was read twice).
    """
    reader = _Recorder(open_dump(stream))
    top = _TopLevel()
    index = -1
    try:
        if not _build_top_level(ijson.parse(reader, use_float=True), top):
            document = top.builder.value  # no top-level items array: a single object (or not Kubernetes)
        else:
            feeder = _Feeder(reader.recorded(), reader.reader)
            # (the objects of a second top-level items array, a duplicate key kubectl never writes, are read too)
            for index, obj in enumerate(ijson.items(feeder, "items.item", use_float=True)):
                feeder.items = index + 1
                _check(obj, f"item {index}")
                yield obj
            document = {**top.builder.value, **_top_level_of(feeder.tail())}
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
