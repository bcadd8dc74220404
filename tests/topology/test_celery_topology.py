"""The docker-compose topology without Docker: PostgreSQL + Redis + api-server, scheduler, dag-processor,
triggerer and a Celery worker as separate processes (`native.NativeStack`), `aws_inventory` triggered through
the REST API against the emulator's demo estate, and its mapped `extract` tasks shown to run on the worker."""
from __future__ import annotations

import time
import urllib.parse
from collections import Counter
from datetime import datetime, timezone

import pytest

from cloud_inventory.demo import estate
from cloud_inventory.demo.emulator import Emulator

from . import native

pytestmark = [pytest.mark.topology, pytest.mark.timeout(420)]

_unreachable = [f"{name} at {host}:{port}" for name, (host, port) in
                (("PostgreSQL", native.POSTGRES), ("Redis", native.REDIS)) if not native.reachable(host, port)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if _unreachable:
        pytest.skip(f"the native Celery topology needs {' and '.join(_unreachable)}, which cannot be reached")
    broken = native.celery_executor_import_error()
    if broken:
        pytest.fail(f"the installed packages cannot load the CeleryExecutor, so neither the scheduler nor the worker "
                    f"can start: {broken}", pytrace=False)
    started = time.monotonic()
    with Emulator(seed_demo=True) as emulator:
        emulator_seconds = time.monotonic() - started
        with native.NativeStack(tmp_path_factory.mktemp("topology"), emulator.env()) as running:
            running.timings["emulator"] = emulator_seconds
            yield running
            print("\ntopology timings (s): " + ", ".join(f"{k}={v:.1f}" for k, v in running.timings.items()))


def _healthy(stack: native.NativeStack):
    health = stack.request("GET", "/api/v2/monitor/health", auth=False)
    components = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return health if all((health.get(c) or {}).get("status") == "healthy" for c in components) else None


def test_aws_inventory_runs_on_the_celery_worker(stack):
    stack.wait_for("health", lambda: _healthy(stack), timeout=120)
    stack.wait_for("worker ready", lambda: " ready." in stack.log("airflow-worker") or None, timeout=60)
    pool = stack.request("GET", f"/api/v2/pools/{native.POOL_NAME}")
    assert pool["slots"] == native.POOL_SLOTS
    stack.wait_for("dag parsed", lambda: stack.request("GET", "/api/v2/dags/aws_inventory"), timeout=90)

    assert stack.request("PATCH", "/api/v2/dags/aws_inventory", {"is_paused": False})["is_paused"] is False
    logical_date = datetime.now(timezone.utc)
    run = stack.request("POST", "/api/v2/dags/aws_inventory/dagRuns",
                        {"logical_date": logical_date.isoformat(), "conf": {}})
    run_path = f"/api/v2/dags/aws_inventory/dagRuns/{urllib.parse.quote(run['dag_run_id'], safe='')}"

    def finished():
        state = stack.request("GET", run_path)["state"]
        return state if state in ("success", "failed") else None

    state = stack.wait_for("dag run", finished, timeout=300, interval=2)
    tis = stack.request("GET", f"{run_path}/taskInstances?limit=100")["task_instances"]
    states = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in tis}
    assert state == "success", f"{states}\n{stack.log_tails()}"

    # 3 accounts, one mapped extract task each, all in the pool, all on the Celery worker.
    extracts = [ti for ti in tis if ti["task_id"] == "extract"]
    assert Counter(ti["state"] for ti in extracts) == {"success": 3}
    assert {ti["pool"] for ti in extracts} == {native.POOL_NAME}
    assert all(ti["hostname"] and ti["queue"] == "default" for ti in extracts), extracts
    worker_log = stack.log("airflow-worker")
    executed = {ti["id"] for ti in extracts if f"id=UUID('{ti['id']}')" in worker_log or ti["id"] in worker_log}
    assert executed == {ti["id"] for ti in extracts}, "every extract task instance was executed by the Celery worker"
    assert "Executing workload in Celery" in worker_log
    print("\nextract task instances: " + "; ".join(
        f"{ti['rendered_map_index'] or ti['map_index']}: {ti['state']} on {ti['hostname']} queue={ti['queue']} "
        f"executor={ti.get('executor')} pool={ti['pool']}" for ti in extracts))

    # The lake: the instances of every demo account and region, under the run's date.
    day = logical_date.date().isoformat()
    files = sorted((stack.data_dir / "lake" / "raw" / "aws" / "ec2_instance").glob(f"dt={day}/*/*/*.parquet"))
    partitions = {(f.parent.parent.name.removeprefix("account_id="), f.parent.name.removeprefix("region="))
                  for f in files}
    assert partitions == {(account, region) for account in estate.DEMO_ACCOUNTS for region in estate.DEMO_REGIONS}
