"""The demo world the mart tests read: three days of the demo estate and its two clusters in a lake.

Built once per test session, the way `make demo` builds it, without the scheduler: each day the
estate changes (estate.seed), the clusters' bastions upload through the real script (stg-eks silent on
the last day), every (account, region) and the global types are extracted with that day's snapshot
date, and the dumps are ingested. dev's SageMaker is always denied; on the last day dev's role cannot
be assumed at all, so all of dev is `failed` that day (its resources must show stale, not deleted).
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
DEMO_ACCOUNTS = PROJECT_ROOT / "include" / "config" / "accounts.demo.yaml"
DAYS = 3
DUMPS_URI = "s3://warehouse-test-dumps/dumps"


def model_folder(root: Path, *keep: str) -> Path:
    """A model folder with the project's staging models and only the intermediate/mart files named by
    the globs in `keep` (e.g. "intermediate/int_inventory__*.sql", "marts/inventory_*.sql"), so tests of
    one mart do not depend on marts being written alongside."""
    sql = root / "sql"
    if sql.exists():
        shutil.rmtree(sql)
    (sql / "intermediate").mkdir(parents=True)
    (sql / "marts").mkdir()
    (sql / "staging").symlink_to(SQL_DIR / "staging", target_is_directory=True)
    for pattern in keep:
        for path in SQL_DIR.glob(pattern):
            (sql / path.parent.name / path.name).symlink_to(path)
    return sql


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """{"root", "env" (INVENTORY_* for this world), "days", "lake", "changes" (what estate.seed changed)}."""
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.accounts import load as load_accounts
    from cloud_inventory.aws.extractor import GLOBAL, extract_pair
    from cloud_inventory.demo import estate
    from cloud_inventory.demo import k8s as demo_k8s
    from cloud_inventory.demo.emulator import Emulator
    from cloud_inventory.demo.run import faults_for_day
    from cloud_inventory.lake import Lake
    from cloud_inventory.pipeline.k8s_inventory import configured_clusters, ingest_cluster

    root = tmp_path_factory.mktemp("demo-world")
    today = datetime.now(timezone.utc).date()
    days = [today - timedelta(days=DAYS - 1 - index) for index in range(DAYS)]
    env = {"INVENTORY_DATA_DIR": str(root / "data"), "INVENTORY_ACCOUNTS_FILE": str(DEMO_ACCOUNTS),
           "INVENTORY_DUMPS_URI": DUMPS_URI}
    changes = []
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
            for cluster in configured_clusters(settings):
                ingest_cluster(cluster, settings, f"demo-world-{day}")
    return {"root": root, "env": env, "days": days, "lake": lake, "changes": changes}


@pytest.fixture
def world_env(demo_world, monkeypatch):
    """The demo world's settings in this test's environment."""
    for name, value in demo_world["env"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return demo_world


def build_world(demo_world: dict, tmp_path: Path, *keep: str, warehouse: str = "warehouse.duckdb"):
    """Build the world's lake with the staging models and the `keep` globs into tmp_path/<warehouse>."""
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.warehouse.runner import build

    previous = {name: os.environ.get(name) for name in ("INVENTORY_WAREHOUSE_PATH",)}
    os.environ["INVENTORY_WAREHOUSE_PATH"] = str(tmp_path / warehouse)
    try:
        result = build(inventory_settings.load(), sql_dir=model_folder(tmp_path, *keep))
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return result
