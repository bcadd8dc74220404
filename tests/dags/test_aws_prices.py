"""aws_prices end to end: the real Airflow runs the DAG (`dag.test()`) against the emulator, over a lake holding
one extracted region of an estate outside the seed's regions (tests/pricing/estate.py); we read the prices it
wrote, the Asset event it recorded, and a failed query failing the run after the others were written."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloud_inventory.demo.emulator import Emulator
from pricing import estate
from tests.dags.support import asset_event_extras

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("aws-prices-dag")
    with Emulator() as emulator, pytest.MonkeyPatch.context() as patch:
        estate.seed_region(emulator.url, "ap-southeast-2")
        patch.setenv("AWS_ENDPOINT_URL", emulator.url)
        patch.setenv("INVENTORY_DATA_DIR", str(root))
        patch.setenv("INVENTORY_ACCOUNTS_FILE", str(estate.accounts_file(root / "accounts.yaml")))
        from cloud_inventory import settings as inventory_settings
        from cloud_inventory.accounts import load as load_accounts
        from cloud_inventory.aws.extractor import extract_pair
        from cloud_inventory.lake import Lake

        settings = inventory_settings.load()
        (account,) = load_accounts(settings.accounts_file).accounts
        extract_pair(account, "ap-southeast-2", settings, Lake(settings.lake_uri),
                     datetime.now(timezone.utc).date(), "aws-prices-dag")
        yield {"root": root, "emulator": emulator, "patch": patch}


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag("aws_prices")


def today_midnight() -> datetime:
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def test_a_run_writes_the_dated_prices_and_marks_the_prices_lake(dag, world):
    world["emulator"].set_faults([])
    logical_date = today_midnight()
    dag_run = dag.test(logical_date=logical_date)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    day = logical_date.date()
    table = pq.read_table(world["root"] / "lake" / "raw" / "aws_pricing" / "prices" / f"dt={day}" / "part-0.parquet")
    priced = {(r["price_key"], r["region"]): r["usd"] for r in table.to_pylist() if r["status"] == "priced"}
    assert priced[("ec2:m5.xlarge:linux", "ap-southeast-2")] == 0.24
    assert priced[("rds:db.t3.small:postgres:multi-az", "ap-southeast-2")] == 0.096
    assert priced[("elb:classic", "ap-southeast-2")] == 0.028
    assert set(table.column("status").to_pylist()) == {"priced"}
    (extra,) = asset_event_extras(dag_run, "cloud_inventory_lake_prices")
    assert extra == {"snapshot_date": day.isoformat(), "keys": table.num_rows, "counts": {"priced": table.num_rows}}


def test_a_failed_query_fails_the_run_after_the_other_prices_are_written(dag, world):
    world["emulator"].set_faults([{"service": "pricing", "action": "GetProducts", "code": "AccessDeniedException",
                                   "message": "no pricing:GetProducts", "times": 1}])
    try:
        dag_run = dag.test(logical_date=today_midnight())
    finally:
        world["emulator"].set_faults([])
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states == {"fetch": "success", "report": "failed"}
    table = pq.read_table(world["root"] / "lake" / "raw" / "aws_pricing" / "prices"
                          / f"dt={today_midnight().date()}" / "part-0.parquet").to_pylist()
    failed = [r for r in table if r["status"] == "error"]
    assert len(failed) == 1 and failed[0]["reason"] == "AccessDeniedException: no pricing:GetProducts"
    assert sum(r["status"] == "priced" for r in table) == len(table) - 1
