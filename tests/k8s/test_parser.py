from __future__ import annotations

import gzip
import io
import json
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud_inventory.k8s.kinds import SCHEMAS, TABLES
from cloud_inventory.k8s.parser import DumpError, iter_batches, iter_objects, parse_dump
from cloud_inventory.lake import Lake, parquet_sink

from .conftest import FIXTURES, SOURCE, fixture, synthetic_dump

KIND_COUNTS = {"pod": 5, "service": 2, "ingress": 1, "deployment": 2, "replicaset": 1, "statefulset": 1,
               "daemonset": 1, "job": 1, "cronjob": 1, "node": 3, "persistentvolumeclaim": 2,
               "persistentvolume": 2, "namespace": 4, "event": 3, "other": 0}


def counts(tables: dict[str, list[dict]]) -> dict[str, int]:
    return {table: len(rows) for table, rows in tables.items()}


@pytest.mark.parametrize("name", ["cluster.json", "cluster.json.gz"])
def test_list_dump_gzip_or_plain(name):
    tables = parse_dump(fixture(name), **SOURCE)
    assert counts(tables) == KIND_COUNTS
    assert set(tables) == set(TABLES)


def test_gzip_and_plain_give_the_same_rows():
    assert parse_dump(fixture("cluster.json"), **SOURCE) == parse_dump(fixture("cluster.json.gz"), **SOURCE)


def test_objects_stream_in_dump_order():
    objects = list(iter_objects(fixture("cluster.json.gz")))
    assert len(objects) == sum(KIND_COUNTS.values())
    assert objects[0]["metadata"]["name"] == "web-7d4b9c8f6d-x2x9k"
    assert objects[-1]["kind"] == "Event"


def test_single_object_dump():
    tables = parse_dump(fixture("single-pod.json"), **SOURCE)
    assert [row["resource_id"] for row in tables["pod"]] == ["shop/web-7d4b9c8f6d-x2x9k"]
    assert sum(map(len, tables.values())) == 1


def test_single_object_gzipped():
    text = (FIXTURES / "single-pod.json").read_bytes()
    tables = parse_dump(io.BytesIO(gzip.compress(text)), **SOURCE)
    assert len(tables["pod"]) == 1


@pytest.mark.parametrize("name", ["unknown-kind.json", "unknown-kind-list.json.gz"])
def test_unknown_kind_goes_to_other(name):
    tables = parse_dump(fixture(name), **SOURCE)
    (row,) = tables["other"]
    assert row["kind"] == "VerticalPodAutoscaler"
    assert row["api_version"] == "autoscaling.k8s.io/v1"
    assert row["resource_id"] == "shop/web"
    assert json.loads(row["raw"])["spec"]["updatePolicy"] == {"updateMode": "Off"}


def test_empty_list_is_an_answer():
    dump = b'{"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}'
    tables = parse_dump(io.BytesIO(dump), **SOURCE)
    assert set(tables) == set(TABLES) and not any(tables.values())


def test_typed_list_kind_is_accepted():
    dump = {"apiVersion": "v1", "kind": "PodList", "metadata": {},
            "items": [json.loads((FIXTURES / "single-pod.json").read_text())]}
    assert len(parse_dump(io.BytesIO(json.dumps(dump).encode()), **SOURCE)["pod"]) == 1


def test_non_seekable_stream():
    class Pipe(io.RawIOBase):  # like an S3 StreamingBody: read() only, short reads
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, size=-1):
            return self._data.read(min(size, 1000) if size and size > 0 else size)

    tables = parse_dump(Pipe((FIXTURES / "cluster.json.gz").read_bytes()), **SOURCE)
    assert counts(tables) == KIND_COUNTS


BAD = {
    "bad-empty.json": "empty dump",
    "bad-empty.json.gz": "empty dump",
    "bad-truncated.json.gz": "truncated gzip",
    "bad-corrupt.json.gz": "corrupt gzip",
    "bad-truncated.json": "truncated or invalid JSON",
    "bad-array.json": "the top level is an array",
    "bad-scalar.json": "the top level is a number",
    "bad-not-k8s.json": "has no kind and no apiVersion",
    "bad-no-metadata.json": "item 2 (Pod) has no metadata",
    "bad-list-without-kind.json": "not a List",
}


@pytest.mark.parametrize("name, reason", BAD.items())
def test_bad_dump_is_refused_whole(name, reason):
    with pytest.raises(DumpError) as error:
        parse_dump(fixture(name), **SOURCE)
    assert reason in error.value.reason
    assert str(error.value) == error.value.reason


def _bad_crc() -> io.BytesIO:
    data = bytearray(synthetic_dump(2_000)[0])
    data[-8:-4] = bytes(b ^ 0xFF for b in data[-8:-4])  # the gzip trailer's CRC-32: seen only at the very end
    return io.BytesIO(bytes(data))


@pytest.mark.parametrize("make", [lambda: fixture("bad-truncated.json"), lambda: fixture("bad-no-metadata.json"),
                                  _bad_crc], ids=["truncated-json", "no-metadata", "bad-crc"])
def test_streaming_errors_arrive_after_objects(make):
    """Why parse_dump exists: iter_objects has already handed out objects when these errors surface."""
    seen = []
    with pytest.raises(DumpError):
        for obj in iter_objects(make()):
            seen.append(obj)
    assert seen
    with pytest.raises(DumpError):
        parse_dump(make(), **SOURCE)


@pytest.mark.parametrize("dump, reason", [
    (b"   \n\t ", "empty dump"),
    (b"\x1f\x8bnot really gzip at all", "corrupt gzip"),
    (b"\x1f", "truncated or invalid JSON"),
    (b"null", "the top level is null"),
    (b'"text"', "the top level is a string"),
    (b'{"kind": "Pod", "metadata": {"name": "x"}}', "has no apiVersion"),
    (b'{"apiVersion": "v1", "kind": "Pod"}', "the top-level object (Pod) has no metadata"),
    (b'{"apiVersion": "v1", "kind": "Pod", "metadata": {}}', "has no metadata.name"),
    (b'{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "metadata": {"name": "a"}}]}',
     "item 0 has no kind"),
    (b'{"apiVersion": "v1", "kind": "List", "items": [42]}', "item 0 is not an object"),
    (b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}} {"x": 1}', "truncated or invalid JSON"),
    (b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"', "truncated or invalid JSON"),
])
def test_bad_inline_dumps(dump, reason):
    with pytest.raises(DumpError) as error:
        parse_dump(io.BytesIO(dump), **SOURCE)
    assert reason in error.value.reason


def test_rows_fit_the_schemas_and_write_through_the_lake(tmp_path):
    lake = Lake(str(tmp_path))
    tables = parse_dump(fixture("cluster.json.gz"), **SOURCE)
    for table, rows in tables.items():
        path = lake.path("raw", "k8s", table, "dt=2026-11-20", "cluster=prod-use1", "part-0.parquet")
        with parquet_sink(lake, path, SCHEMAS[table]) as sink:
            sink.write(rows)
        written = pq.read_table(path)
        assert written.schema.equals(SCHEMAS[table]) and written.num_rows == len(rows)


def test_batches_cover_every_row():
    data, _ = synthetic_dump(2_500)
    batches = list(iter_batches(io.BytesIO(data), batch_rows=1_000, **SOURCE))
    assert [(table, len(rows)) for table, rows in batches] == [("pod", 1000), ("pod", 1000), ("pod", 500)]
    assert pa.Table.from_pylist(batches[0][1], schema=SCHEMAS["pod"]).num_rows == 1000


def test_batches_also_close_at_a_size_of_raw_objects(monkeypatch):
    """Large objects are handed on before a batch is full of them: every table waiting is, at BATCH_RAW_BYTES."""
    from cloud_inventory.k8s import parser

    data, _ = synthetic_dump(300)
    sizes = [len(row["raw"]) for row in parse_dump(io.BytesIO(data), **SOURCE)["pod"]]
    limit = sum(sizes[:100])
    monkeypatch.setattr(parser, "BATCH_RAW_BYTES", limit)
    batches = [rows for _, rows in iter_batches(io.BytesIO(data), batch_rows=1_000, **SOURCE)]
    assert len(batches[0]) == 100 and len(batches) >= 3
    assert all(sum(len(row["raw"]) for row in rows[:-1]) < limit <= sum(len(row["raw"]) for row in rows)
               for rows in batches[:-1])
    assert [row["raw"] for rows in batches for row in rows] == [
        row["raw"] for row in parse_dump(io.BytesIO(data), **SOURCE)["pod"]]


def test_large_dump_streams_in_bounded_memory(big_dump):
    data, text_size = big_dump
    assert text_size > 40_000_000
    tracemalloc.start()
    try:
        count = 0
        for obj in iter_objects(io.BytesIO(data)):
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < text_size / 10, f"peak {peak} bytes for a {text_size}-byte dump"


def test_single_object_keeps_a_field_called_items():
    obj = {"apiVersion": "example.com/v1", "kind": "Basket", "metadata": {"name": "b", "namespace": "a"},
           "items": {"item": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "not-a-pod"}}, "n": [1, 2]}}
    tables = parse_dump(io.BytesIO(json.dumps(obj).encode()), **SOURCE)
    assert not tables["pod"]
    (row,) = tables["other"]
    assert json.loads(row["raw"]) == obj


def _write_streaming(lake: Lake, stream) -> None:
    """The all-or-nothing streaming pattern the DAG should use: one sink per table in one ExitStack."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        sinks = {table: stack.enter_context(parquet_sink(
            lake, lake.path("raw", "k8s", table, "dt=2026-11-20", "cluster=prod-use1", "part-0.parquet"),
            SCHEMAS[table])) for table in TABLES}
        for table, rows in iter_batches(stream, batch_rows=500, **SOURCE):
            sinks[table].write(rows)


def test_streaming_write_is_all_or_nothing(tmp_path):
    lake = Lake(str(tmp_path))
    _write_streaming(lake, fixture("cluster.json.gz"))
    pods = lake.path("raw", "k8s", "pod", "dt=2026-11-20", "cluster=prod-use1", "part-0.parquet")
    assert pq.read_table(pods).num_rows == 5
    with pytest.raises(DumpError):
        _write_streaming(lake, _bad_crc())  # 2,000 pods pass through the sinks before the CRC fails
    assert pq.read_table(pods).num_rows == 5  # the previous run's files stand, whole; no temporaries left
    assert sorted(p.name for p in (tmp_path / "raw" / "k8s" / "pod" / "dt=2026-11-20" / "cluster=prod-use1").iterdir()) \
        == ["part-0.parquet"]


def test_stream_failures_are_not_dump_errors():
    """A dropped connection is retryable; it must not be reported as a bad dump."""
    class Dropping(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 1000:
                raise ConnectionResetError("connection reset by peer")
            return super().read(min(size, 500) if size and size > 0 else 500)

    for name in ("cluster.json", "cluster.json.gz"):
        with pytest.raises(ConnectionResetError):
            parse_dump(Dropping((FIXTURES / name).read_bytes()), **SOURCE)
