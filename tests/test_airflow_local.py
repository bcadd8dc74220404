"""`make dag` as users run it (the make target, as a subprocess; plugins/cloud_inventory/airflow_local.py): aws_inventory
on the emulator's demo estate through `airflow dags test --use-executor` gives the lake and manifest the sequential
`dag.test()` gives, its mapped tasks overlap without exceeding the slots, a failed run exits non-zero, and the
execution API server it started is gone when it returns."""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml

from cloud_inventory import airflow_local
from cloud_inventory.demo import estate
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import read_manifests

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SLOTS = 2  # fewer than the mapped tasks of three accounts, so the bound shows
SERVER_LINE = re.compile(r"execution API on 127\.0\.0\.1:(\d+) \(pid (\d+)\)")


@pytest.fixture(scope="module")
def emulator():
    with Emulator(seed_demo=True) as running:
        yield running


@pytest.fixture
def caller(emulator, monkeypatch, tmp_path):
    """The caller's settings `make dag` must honour; also set here, for the in-process `dag.test()`. The demo's
    three accounts, one region each: every mapping has at least three tasks, and the runs stay short."""
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(yaml.safe_dump({
        "defaults": {"role_name": estate.DEMO_ROLE_NAME, "external_id": estate.DEMO_EXTERNAL_ID,
                     "regions": ["us-east-1"]},
        "accounts": [{"id": account, "name": name} for account, name in estate.DEMO_ACCOUNTS.items()]}))
    settings = {"AWS_ENDPOINT_URL": emulator.url, "INVENTORY_ACCOUNTS_FILE": str(accounts),
                "INVENTORY_AWS_POOL_SLOTS": str(SLOTS)}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def make_dag(dag_id: str, day: str, data_dir: Path) -> tuple[subprocess.CompletedProcess, int, int]:
    """Runs `make dag` (the venv is the one running these tests); its result, the server's port and pid."""
    env = {**os.environ, "INVENTORY_DATA_DIR": str(data_dir)}
    done = subprocess.run(["make", "-C", str(PROJECT_ROOT), "-o", "venv", "dag", f"ID={dag_id}", f"DATE={day}"],
                          env=env, capture_output=True, text=True, timeout=600)
    server = SERVER_LINE.search(done.stdout)
    assert server, done.stdout[-3000:] + done.stderr[-3000:]
    return done, int(server.group(1)), int(server.group(2))


def assert_server_gone(port: int, pid: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def lake_content(data_dir: Path, day: str) -> dict:
    """Per (resource type, account, region): the resource ids (metric rows: how many) and the manifest's entry."""
    files = sorted(str(f) for f in (data_dir / "lake" / "raw" / "aws").glob(f"*/dt={day}/*/*/*.parquet"))
    ids = defaultdict(list)
    for row in ds.dataset(files, format="parquet").to_table(
            columns=["resource_type", "account_id", "region", "resource_id"]).to_pylist():
        ids[(row["resource_type"], row["account_id"], row["region"])].append(row["resource_id"])
    # metric rows are data points of a moving window: their number, not their ids, is stable between two runs
    lake = {key: len(values) if key[0].endswith("_metric") else sorted(values) for key, values in ids.items()}
    manifest = {(r["resource_type"], r["account_id"], r["region"]): (r["status"], r["rows"])
                for r in read_manifests(Lake(str(data_dir / "lake")), datetime.fromisoformat(day).date()).to_pylist()}
    return {"lake": lake, "manifest": manifest}


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start: touching is not overlapping
        running += step
        peak = max(peak, running)
    return peak


def mapped_task_intervals(run_id: str) -> list[tuple[datetime, datetime]]:
    """When each mapped task instance of the run ran, as the metadata database recorded it."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return [(ti.start_date, ti.end_date) for ti in session.query(TaskInstance).filter(
            TaskInstance.dag_id == "aws_inventory", TaskInstance.run_id == run_id, TaskInstance.map_index >= 0)]


def test_make_dag_runs_mapped_tasks_concurrently_within_the_slots_and_writes_what_dag_test_writes(airflow_db, caller,
                                                                                              monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    day = datetime.now(timezone.utc).date().isoformat()
    done, port, pid = make_dag("aws_inventory", day, caller / "concurrent")

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert_server_gone(port, pid)
    assert "No tasks to run" not in done.stdout + done.stderr  # dags test's look every 0.2 s, not logged
    run_ids = {r["run_id"] for r in read_manifests(Lake(str(caller / "concurrent" / "lake")), datetime.fromisoformat(
        day).date()).to_pylist()}
    assert len(run_ids) == 1
    intervals = mapped_task_intervals(run_ids.pop())
    assert len(intervals) > SLOTS
    assert most_at_once(intervals) == SLOTS

    monkeypatch.setenv("INVENTORY_DATA_DIR", str(caller / "sequential"))
    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag("aws_inventory")
    assert dag.test(logical_date=datetime.fromisoformat(day).replace(tzinfo=timezone.utc)).state == "success"

    concurrent, sequential = lake_content(caller / "concurrent", day), lake_content(caller / "sequential", day)
    assert concurrent["lake"] == sequential["lake"]
    assert concurrent["manifest"] == sequential["manifest"]
    assert {status for status, _ in concurrent["manifest"].values()} == {"ok"}


def test_a_failed_run_exits_non_zero_and_stops_the_server(airflow_db, caller):
    too_old = (datetime.now(timezone.utc).date() - timedelta(days=3)).isoformat()  # plan refuses it, the run fails

    done, port, pid = make_dag("aws_inventory", too_old, caller)

    assert done.returncode != 0
    assert "DagRun failed" in done.stderr
    assert_server_gone(port, pid)


def test_only_dag_tests_own_sleep_is_shortened_and_only_within_the_block():
    from airflow.sdk.definitions.dag import log

    real_sleep = time.sleep
    with airflow_local.polling_faster():
        assert time.sleep is not real_sleep
        started = time.monotonic()
        time.sleep(0.5)  # not called from DAG.test: as long as asked
        assert time.monotonic() - started >= 0.5
        assert not log.filter(log.makeRecord(log.name, logging.WARNING, __file__, 1, "No tasks to run. x", (), None))
        assert log.filter(log.makeRecord(log.name, logging.WARNING, __file__, 1, "Task failed", (), None))
    assert time.sleep is real_sleep and not log.filters


def test_the_execution_api_serves_only_the_installed_task_sdks_version():
    """In a process of its own (the cut changes Airflow's module state): after the cut the app answers the SDK's
    version and refuses the oldest one, which Airflow itself serves for older workers."""
    program = """
import json
from fastapi.testclient import TestClient
from airflow.api_fastapi.execution_api import versions
from airflow.sdk.api.datamodels._generated import API_VERSION
from cloud_inventory import airflow_local

oldest = versions.bundle.versions[-1].value
cut = airflow_local.only_this_task_sdks_version()
from airflow.api_fastapi.app import create_app
client = TestClient(create_app(apps="execution"))
status = {version: client.get("/execution/health", headers={"Airflow-API-Version": version}).status_code
          for version in (API_VERSION, oldest)}
print(json.dumps({"cut": cut, "oldest": oldest, "sdk": API_VERSION, "status": status,
                  "served": [v.value for v in versions.bundle.versions]}))
"""
    env = {**os.environ, "AIRFLOW__API_AUTH__JWT_SECRET": "s" * 64, "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["cut"] is True
    assert result["served"] == [result["sdk"]]
    assert result["status"][result["sdk"]] == 200
    assert result["status"][result["oldest"]] == 404  # no route of that version (Airflow itself answers 200)
