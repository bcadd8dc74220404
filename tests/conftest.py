"""Test-wide isolation: a throwaway Airflow home, fake AWS credentials, and the project on the path.

Set before anything imports Airflow or boto3, so no test can reach real AWS or a developer's Airflow.
"""
from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="cloud-inventory-airflow-"))

os.environ.update({
    "AIRFLOW_HOME": str(_AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "INVENTORY_DATA_DIR": str(_AIRFLOW_HOME / "data"),
    "INVENTORY_TASK_RETRIES": "0",
})
for leaked in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "INVENTORY_LAKE_URI", "INVENTORY_WAREHOUSE_PATH",
               "INVENTORY_ACCOUNTS_FILE"):
    os.environ.pop(leaked, None)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT / "plugins"), os.environ.get("PYTHONPATH")]))


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database, migrated once per test session."""
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True)
    return _AIRFLOW_HOME


# The demo world the warehouse, quality and DAG tests read ------------------------------------------------
# Three days of the demo estate and its two clusters in a lake, built once per test session the way
# `make demo` builds it, without the scheduler: each day the estate changes (estate.seed), the clusters'
# bastions upload through the real script (stg-eks silent on the last day), every (account, region) and
# the global types are extracted with that day's snapshot date, the dumps are ingested, and (first and last
# day) the prices are asked from the emulator's Price List API. dev's SageMaker is always denied; on the
# last day dev's role cannot be assumed at all, so all of dev is `failed` that day (its resources must
# show stale, not deleted).
DEMO_ACCOUNTS = PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
DAYS = 3
DUMPS_URI = "s3://warehouse-test-dumps/dumps"


class _LogLines(logging.Handler):
    """Every log record, formatted as a task log would show it (with its traceback), kept for the secrets scan."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


# A developer iterating on tests that read the demo world may set CLOUD_INVENTORY_TEST_WORLD_CACHE=<folder>: the
# world (and its warehouse) of today are then built once into that folder and reused by later sessions. CI never
# sets it: every session builds its own.
WORLD_CACHE = os.environ.get("CLOUD_INVENTORY_TEST_WORLD_CACHE")


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """{"root", "env" (INVENTORY_* for this world), "days", "lake", "changes" (what estate.seed changed),
    "log" (every line logged at INFO and above while it was built, as Airflow's task logs would keep them)}."""
    today = datetime.now(timezone.utc).date()
    if WORLD_CACHE:
        cached = Path(WORLD_CACHE) / f"world-{today}.pickle"
        if cached.exists():
            return pickle.loads(cached.read_bytes())
        root = Path(WORLD_CACHE) / f"world-{today}"
        shutil.rmtree(root, ignore_errors=True)
    else:
        root = tmp_path_factory.mktemp("demo-world")
    days = [today - timedelta(days=DAYS - 1 - index) for index in range(DAYS)]
    env = {"INVENTORY_DATA_DIR": str(root / "data"), "INVENTORY_ACCOUNTS_FILE": str(DEMO_ACCOUNTS),
           "INVENTORY_DUMPS_URI": DUMPS_URI}
    changes = []
    log = _LogLines()
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.addHandler(log)
    root_logger.setLevel(logging.INFO)  # Airflow's task logs keep INFO
    try:
        lake, seeded = _build_demo_world(days, env, changes)
    finally:
        root_logger.removeHandler(log)
        root_logger.setLevel(level)
    world = {"root": root, "env": env, "days": days, "lake": lake, "changes": changes, "log": log.lines,
             "seeded_in_sources": seeded}
    if WORLD_CACHE:
        (Path(WORLD_CACHE) / f"world-{today}.pickle").write_bytes(pickle.dumps(world))
    return world


def _build_demo_world(days: list, env: dict, changes: list):
    """Seeds, dumps, extracts and ingests each day of the demo world (see `demo_world`); its lake, and which of
    the demo's seeded secrets its sources (Lambda's answers, the drop box's dumps) really hold."""
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.accounts import load as load_accounts
    from cloud_inventory.aws.extractor import GLOBAL, extract_pair
    from cloud_inventory.demo import estate
    from cloud_inventory.demo import k8s as demo_k8s
    from cloud_inventory.demo.emulator import Emulator
    from cloud_inventory.demo.run import faults_for_day
    from cloud_inventory.lake import Lake
    from cloud_inventory.pipeline import aws_prices
    from cloud_inventory.pipeline.k8s_inventory import configured_clusters, ingest_cluster

    with Emulator() as emulator, pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", emulator.url)
        for name, value in env.items():
            patch.setenv(name, value)
        settings = inventory_settings.load()
        lake = Lake(settings.lake_uri)
        accounts = load_accounts(settings.accounts_file).accounts
        for index, day in enumerate(days):
            emulator.set_faults([])
            changes.append(estate.seed(emulator.url, index))
            demo_k8s.upload_dumps(emulator.url, day, index, dumps_uri=DUMPS_URI,
                                  clusters=demo_k8s.clusters_for_day(index, DAYS))
            emulator.set_faults(faults_for_day(index, DAYS))
            for account in accounts:
                for region in (*account.regions, GLOBAL):
                    extract_pair(account, region, settings, lake, day, f"demo-world-{day}")
            emulator.set_faults([])
            if index in (0, DAYS - 1):  # as `make demo`: prices from the emulator's Price List API
                aws_prices.run(settings, day)
            for cluster in configured_clusters(settings):
                ingest_cluster(cluster, settings, f"demo-world-{day}")
        return lake, _seeded_in_sources(emulator.url)


def _seeded_in_sources(url: str) -> set[str]:
    """The seeded secrets that prod's Lambda functions and the drop box's dumps hold (all of them, or the secrets
    scan of the demo output proves nothing)."""
    import gzip
    import json

    import boto3

    from cloud_inventory.demo import estate, seeded_secrets

    functions = estate.assumed_session(url, estate.PROD).client("lambda", endpoint_url=url).list_functions()
    sources = [json.dumps(functions["Functions"])]
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    bucket, _, prefix = DUMPS_URI.removeprefix("s3://").partition("/")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            sources.append(gzip.decompress(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()).decode())
    return {value for value in seeded_secrets.ALL if any(value in source for source in sources)}


@pytest.fixture(scope="session")
def demo_warehouse(demo_world, tmp_path_factory) -> Path:
    """The demo world built with the whole of include/sql, once: the warehouse `make demo` leaves."""
    from warehouse.conftest import build_world  # tests/warehouse/conftest.py (tests/ is on the path)

    if WORLD_CACHE:
        root = Path(WORLD_CACHE) / f"warehouse-{demo_world['days'][-1]}"
        if (root / "warehouse.duckdb").exists():
            return root / "warehouse.duckdb"
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = tmp_path_factory.mktemp("demo-warehouse")
    build_world(demo_world, root, "intermediate/*.sql", "marts/*.sql")
    return root / "warehouse.duckdb"
