"""lake.py: date partitions on a local folder and on S3, replaced whole, never half-written, streamed in row groups;
what a killed writer leaves is removed by the next write, never what a live one is writing."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloud_inventory import lake as lake_module
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.lake import PART_FILE, ROW_GROUP_ROWS, Lake, parquet_sink

SCHEMA = pa.schema([("resource_id", pa.string()), ("n", pa.int64())])
DT = date(2025, 3, 14)
MARKER = "raw/aws/vpc/_written/dt=2025-03-14"  # the date's marker, below the lake root
BUCKET = "inventory-lake-tests"


def rows(count, start=0, prefix="r"):
    return [{"resource_id": f"{prefix}{i}", "n": i} for i in range(start, start + count)]


def read(lake: Lake, path: str) -> pa.Table:
    return pq.read_table(path, filesystem=lake.fs)


@pytest.fixture(scope="module")
def emulator():
    with Emulator(in_process=True) as emu:
        yield emu


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_") and name != "AWS_CA_BUNDLE":
            monkeypatch.delenv(name)
    if request.param == "local":
        yield Lake(str(tmp_path / "lake"))
        return
    emu = request.getfixturevalue("emulator")
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    prefix = f"{request.node.name}".replace("[", "-").replace("]", "")
    yield Lake(f"s3://{BUCKET}/{prefix}/")
    objects = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    for obj in objects:
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])


def everything_under(lake: Lake) -> list[str]:
    """Every file the lake holds, by its path below the lake root."""
    from pyarrow import fs as pafs

    selector = pafs.FileSelector(lake.root, recursive=True, allow_not_found=True)
    return sorted(info.path[len(lake.root) + 1:] for info in lake.fs.get_file_info(selector)
                  if info.type == pafs.FileType.File)


def test_partition_layout(lake):
    path = lake.aws_partition("ec2_instance", DT, "123456789012", "eu-west-1")
    assert path == lake.path("raw", "aws", "ec2_instance", "dt=2025-03-14", "account_id=123456789012",
                             "region=eu-west-1", PART_FILE)
    assert lake.aws_manifest(DT, "123456789012", "global").endswith(
        "/manifests/aws/dt=2025-03-14/account_id=123456789012/region=global/manifest.parquet")
    if lake.uri.startswith("s3://"):
        assert lake.root == f"{BUCKET}/test_partition_layout-s3"  # no trailing slash, no scheme
        assert lake.uri_of(path) == f"s3://{path}"
    else:
        assert lake.uri_of(path) == path and os.path.isabs(path)


def test_write_and_read_back(lake):
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    with parquet_sink(lake, path, SCHEMA) as sink:
        sink.write(rows(3))
    assert sink.rows == 3
    assert lake.exists(path)
    assert read(lake, path).to_pylist() == rows(3)
    table = lake.read_dataset("raw", "aws", "vpc", "dt=2025-03-14", schema=SCHEMA)
    assert table.num_rows == 3
    assert lake.read_dataset("raw", "aws", "subnet") is None
    assert everything_under(lake) == ["raw/aws/vpc/_written/dt=2025-03-14",
                                      "raw/aws/vpc/dt=2025-03-14/account_id=123456789012/region=eu-west-1/" + PART_FILE]


def test_rerun_replaces_the_partition_whole(lake):
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    with parquet_sink(lake, path, SCHEMA) as sink:
        sink.write(rows(5))
    with parquet_sink(lake, path, SCHEMA) as sink:
        sink.write(rows(2, prefix="new"))
        # until the block completes, readers see the previous file whole
        assert read(lake, path).to_pylist() == rows(5)
    assert read(lake, path).to_pylist() == rows(2, prefix="new")
    assert everything_under(lake) == [MARKER, path[len(lake.root) + 1:]]


def test_error_inside_the_sink_keeps_the_previous_file(lake):
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    with parquet_sink(lake, path, SCHEMA) as sink:
        sink.write(rows(4))
    before = lake.fs.open_input_file(path).readall()

    with pytest.raises(RuntimeError, match="throttled half-way"):
        with parquet_sink(lake, path, SCHEMA) as sink:
            sink.write(rows(ROW_GROUP_ROWS + 10, prefix="partial"))  # one row group already in the temp file
            raise RuntimeError("throttled half-way")

    assert lake.fs.open_input_file(path).readall() == before
    assert everything_under(lake) == [MARKER, path[len(lake.root) + 1:]]  # no temporary file left behind


def test_every_write_into_a_date_rewrites_its_marker(lake):
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    marker = lake.path(*MARKER.split("/"))
    assert lake.written_marker(path) == marker
    assert lake.written_marker(lake.aws_manifest(DT, "123456789012", "global")) == lake.path(
        "manifests", "aws", "_written", "dt=2025-03-14")
    assert lake.written_marker(lake.k8s_ledger("prod-eks")) is None  # not in a date's folder: no marker

    seen = []
    for count in (1, 2):
        with parquet_sink(lake, path, SCHEMA) as sink:
            sink.write(rows(count))
        seen.append(lake.fs.open_input_file(marker).readall())
    lake.write_table(lake.aws_partition("vpc", DT, "210987654321", "eu-west-1"),
                     pa.Table.from_pylist(rows(1), schema=SCHEMA))
    seen.append(lake.fs.open_input_file(marker).readall())
    assert len(set(seen)) == 3  # each write left a marker of its own

    with pytest.raises(RuntimeError):
        with parquet_sink(lake, path, SCHEMA) as sink:
            raise RuntimeError("throttled")
    assert lake.fs.open_input_file(marker).readall() == seen[-1]  # a failed write changed nothing


def test_error_on_the_first_write_leaves_nothing(lake):
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    with pytest.raises(ValueError):
        with parquet_sink(lake, path, SCHEMA) as sink:
            sink.write([{"resource_id": "x", "n": "not a number"}] * (ROW_GROUP_ROWS + 1))
    assert not lake.exists(path)
    assert everything_under(lake) == []


def test_zero_rows_still_writes_a_readable_file(lake):
    path = lake.aws_partition("nat_gateway", DT, "123456789012", "eu-west-1")
    with parquet_sink(lake, path, SCHEMA) as sink:
        sink.write([])
    assert sink.rows == 0
    table = read(lake, path)
    assert table.num_rows == 0
    assert table.schema.equals(SCHEMA)


def test_rows_are_streamed_in_row_groups(lake, monkeypatch):
    path = lake.aws_partition("ebs_snapshot", DT, "123456789012", "eu-west-1")
    biggest_buffer = 0
    original_flush = lake_module.RowSink.flush

    def watching_flush(self):
        nonlocal biggest_buffer
        biggest_buffer = max(biggest_buffer, len(self._buffer))
        original_flush(self)

    monkeypatch.setattr(lake_module.RowSink, "flush", watching_flush)
    total = 2 * ROW_GROUP_ROWS + 5_000
    with parquet_sink(lake, path, SCHEMA) as sink:
        for start in range(0, total, 1_000):  # pages of 1,000 items, as an API would hand them over
            sink.write(rows(1_000, start=start))
    assert sink.rows == total
    metadata = pq.ParquetFile(lake.fs.open_input_file(path)).metadata
    assert metadata.num_rows == total
    assert metadata.num_row_groups == 3
    assert [metadata.row_group(i).num_rows for i in range(3)] == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 5_000]
    assert biggest_buffer <= ROW_GROUP_ROWS  # never more than one row group held in memory
    assert read(lake, path).column("n").to_pylist() == list(range(total))


def test_write_table_replaces_atomically(lake):
    path = lake.path("manifests", "x", "manifest.parquet")
    lake.write_table(path, pa.Table.from_pylist(rows(2), schema=SCHEMA))
    lake.write_table(path, pa.Table.from_pylist(rows(1, prefix="b"), schema=SCHEMA))
    assert read(lake, path).to_pylist() == rows(1, prefix="b")
    assert everything_under(lake) == ["manifests/x/manifest.parquet"]


def test_local_lake_from_a_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Lake("lake/").root == str(tmp_path / "lake")


def test_s3_filesystem_honours_the_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    fs = lake_module.s3_filesystem()
    assert fs.region == "eu-west-1"
    # the endpoint_override is not readable back; pickle carries the options
    assert "127.0.0.1:1" in repr(fs.__reduce__())


def test_large_raw_objects_make_smaller_row_groups(lake, monkeypatch):
    monkeypatch.setattr(lake_module, "ROW_GROUP_RAW_BYTES", 10_000)
    schema = pa.schema([("resource_id", pa.string()), ("raw", pa.string())])
    path = lake.aws_partition("ec2_instance", DT, "123456789012", "eu-west-1")
    with parquet_sink(lake, path, schema) as sink:
        sink.write([{"resource_id": f"i-{i}", "raw": "x" * 1_000} for i in range(25)])
    metadata = pq.ParquetFile(lake.fs.open_input_file(path)).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [10, 10, 5]


# A writer killed with SIGKILL ------------------------------------------------------------------------------------
# A real lake write in another process: one row group in its temporary file, then it waits for a line on stdin.
WRITER = """
import sys
import pyarrow as pa
from cloud_inventory.lake import Lake, parquet_sink

lake, path, prefix = Lake(sys.argv[1]), sys.argv[2], sys.argv[3]
schema = pa.schema([("resource_id", pa.string()), ("n", pa.int64())])
with parquet_sink(lake, path, schema) as sink:
    sink.write([{"resource_id": f"{prefix}{i}", "n": i} for i in range(1000)])
    sink.flush()
    print("WRITING", flush=True)
    sys.stdin.readline()
print("DONE", flush=True)
"""


def start_writer(lake: Lake, path: str, prefix: str) -> subprocess.Popen:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, lake.uri, path, prefix], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "WRITING"
    return writer


def temporaries(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_the_next_write_removes_what_a_killed_write_left_in_its_folder(tmp_path, caplog):
    lake = Lake(str(tmp_path / "lake"))
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    folder = os.path.dirname(path)
    lake.write_table(path, pa.Table.from_pylist(rows(3), schema=SCHEMA))
    writer = start_writer(lake, path, "killed")
    writer.send_signal(signal.SIGKILL)
    writer.wait(30)
    [left] = temporaries(folder)  # part-0.parquet.<hex>.tmp, with the killed writer's row group in it
    assert left.startswith(PART_FILE + ".") and os.path.getsize(os.path.join(folder, left)) > 0
    assert read(lake, path).to_pylist() == rows(3)  # the partition is still the previous file, whole

    lake.write_table(lake.aws_partition("vpc", DT, "123456789012", "us-east-1"),  # another folder: not touched
                     pa.Table.from_pylist(rows(1), schema=SCHEMA))
    assert temporaries(folder) == [left]
    with caplog.at_level(logging.WARNING, logger="cloud_inventory.lake"):
        lake.write_table(path, pa.Table.from_pylist(rows(2, prefix="next"), schema=SCHEMA))
    assert temporaries(folder) == []
    assert read(lake, path).to_pylist() == rows(2, prefix="next")
    assert f"removed 1 temporary file(s) that killed lake writes left in {folder}: {left}" in caplog.text


def test_a_write_never_removes_the_temporary_file_of_a_live_writer(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    folder = os.path.dirname(path)
    writer = start_writer(lake, path, "live")
    try:
        [its] = temporaries(folder)
        lake.write_table(path, pa.Table.from_pylist(rows(2, prefix="meanwhile"), schema=SCHEMA))  # same folder
        assert temporaries(folder) == [its]
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "DONE"  # its temporary file was still there to move into place
        assert writer.wait(30) == 0
    finally:
        writer.kill()
    assert read(lake, path).to_pylist() == [{"resource_id": f"live{i}", "n": i} for i in range(1000)]
    assert temporaries(folder) == []


@pytest.mark.parametrize("lake", ["s3"], indirect=True)
def test_on_s3_the_first_write_removes_temporary_objects_older_than_the_limit(lake, monkeypatch, caplog):
    bucket, prefix = lake.root.split("/", 1)
    s3 = boto3.client("s3")
    dead = f"{prefix}/_tmp/{uuid.uuid4().hex}.tmp"  # uploaded whole, its writer killed before the move
    s3.put_object(Bucket=bucket, Key=dead, Body=b"PAR1")
    monkeypatch.setattr(lake_module, "STALE_S3_TEMPORARY_SECONDS", 2)
    time.sleep(3.1)  # S3 keeps whole seconds
    recent = f"{prefix}/_tmp/{uuid.uuid4().hex}.tmp"  # younger than the limit: a writer may be about to move it
    s3.put_object(Bucket=bucket, Key=recent, Body=b"PAR1")

    path = lake.aws_partition("vpc", DT, "123456789012", "eu-west-1")
    with caplog.at_level(logging.WARNING, logger="cloud_inventory.lake"):
        lake.write_table(path, pa.Table.from_pylist(rows(2), schema=SCHEMA))
    left = {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_tmp/").get("Contents", [])}
    assert dead not in left and recent in left
    assert f"s3://{bucket}/{dead}" in caplog.text
    assert read(lake, path).to_pylist() == rows(2)
