"""inventory_marts through the real Airflow (`dag.test()`): it builds the warehouse from the lake.
(A broken model's error and the untouched previous warehouse are tested on the runner, tests/warehouse.)"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory.aws.transform import AWS_SCHEMA
from cloud_inventory.lake import Lake

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag("inventory_marts")


@pytest.fixture
def lake(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    lake = Lake(str(tmp_path / "lake"))
    day = date(2026, 11, 20)
    rows = [{"account_id": "111111111111", "region": "us-east-1", "resource_type": "ebs_volume",
             "resource_id": "vol-1", "tags": {}, "snapshot_date": day,
             "snapshot_at": datetime(2026, 11, 20, 6, tzinfo=timezone.utc), "run_id": "r",
             "raw": '{"VolumeId": "vol-1", "Size": 8, "VolumeType": "gp2", "Attachments": []}'}]
    lake.write_table(lake.aws_partition("ebs_volume", day, "111111111111", "us-east-1"),
                     pa.Table.from_pylist(rows, schema=AWS_SCHEMA))
    return tmp_path


def test_build_makes_the_warehouse_and_records_model_stats(dag, lake):
    dag_run = dag.test()
    assert dag_run.state == "success"
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select volume_id, size_gib from staging.stg_aws__ebs_volumes").fetchall() == [("vol-1", 8)]
        assert con.execute("select count(*) from meta.model_stats where model = 'staging.stg_aws__ebs_volumes'"
                           ).fetchone()[0] == 1
