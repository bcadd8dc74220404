"""inventory_marts through the real Airflow (`dag.test()`): it builds the warehouse from the lake, incrementally
unless its `full_refresh` Param is on, and says what it rebuilt in the warehouse Asset's event.
(A broken model's error and the untouched previous warehouse are tested on the runner, tests/warehouse.)"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cloud_inventory.aws.transform import AWS_SCHEMA
from cloud_inventory.lake import Lake
from tests.dags.support import asset_event_extras

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAY_1, DAY_2 = date(2026, 11, 20), date(2026, 11, 21)


@pytest.fixture
def dag(airflow_db):
    """The DAG, parsed anew for each test: resolving a run's conf into Params (process_params) sets the value of the
    DAG's own Param objects, so a run with {"full_refresh": true} in this process would leave it on for the next
    (a task process, in production, parses the DAG file for itself)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "inventory_marts.py")).get_dag("inventory_marts")


def write_volume(lake: Lake, day: date, volume_id: str) -> None:
    rows = [{"account_id": "111111111111", "region": "us-east-1", "resource_type": "ebs_volume",
             "resource_id": volume_id, "tags": {}, "snapshot_date": day,
             "snapshot_at": datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc), "run_id": "r",
             "raw": f'{{"VolumeId": "{volume_id}", "Size": 8, "VolumeType": "gp2", "Attachments": []}}'}]
    lake.write_table(lake.aws_partition("ebs_volume", day, "111111111111", "us-east-1"),
                     pa.Table.from_pylist(rows, schema=AWS_SCHEMA))


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    return tmp_path


def last_build(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_id, full_refresh = con.execute(
            "select build_id, full_refresh from meta.builds order by finished_at desc limit 1").fetchone()
        models = con.execute("select count(*) from meta.model_stats where build_id = ?", [build_id]).fetchone()[0]
        volumes = [volume for (volume,) in con.execute(
            "select volume_id from staging.stg_aws__ebs_volumes order by all").fetchall()]
    return {"build_id": build_id, "full_refresh": full_refresh, "models": models, "volumes": volumes}


def test_a_run_builds_what_changed_a_full_refresh_rebuilds_everything_and_the_asset_event_says_which(dag, data_dir):
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.warehouse.runner import build

    lake, warehouse = Lake(str(data_dir / "lake")), data_dir / "warehouse.duckdb"
    write_volume(lake, DAY_1, "vol-1")
    build(inventory_settings.load())  # yesterday's warehouse
    write_volume(lake, DAY_2, "vol-2")

    # without the Param (as every run the lake's Assets start): only the new date's files are read
    daily = dag.test()
    assert daily.state == "success"
    built = last_build(warehouse)
    assert (built["full_refresh"], built["volumes"]) == (False, ["vol-1", "vol-2"])
    (event,) = asset_event_extras(daily, "cloud_inventory_warehouse")
    assert 0 < event.pop("seconds") < 600 and 0 < event.pop("models_rebuilt") < built["models"]
    assert event == {"build_id": built["build_id"], "full_refresh": False, "models": built["models"],
                     "dates_rebuilt": [DAY_2.isoformat()], "sources_rebuilt": ["lake_aws_ebs_volume"]}

    # a manual trigger with the Param on: a new warehouse from the whole lake
    full = dag.test(run_conf={"full_refresh": True})
    assert full.state == "success"
    built = last_build(warehouse)
    assert (built["full_refresh"], built["volumes"]) == (True, ["vol-1", "vol-2"])
    (event,) = asset_event_extras(full, "cloud_inventory_warehouse")
    assert event["models_rebuilt"] == event["models"] == built["models"]
    assert (event["build_id"], event["full_refresh"]) == (built["build_id"], True)
    assert (event["dates_rebuilt"], event["sources_rebuilt"]) == (
        [DAY_1.isoformat(), DAY_2.isoformat()], ["lake_aws_ebs_volume"])


def test_full_refresh_is_a_boolean_param_off_unless_a_trigger_turns_it_on(dag):
    """The trigger form's field, and how the task runner resolves it (process_params, with the run's conf)."""
    from airflow.sdk.definitions.param import process_params
    from airflow.sdk.exceptions import ParamValidationError

    param = dag.params.get_param("full_refresh")
    assert (param.value, param.schema["type"]) == (False, "boolean") and "whole lake" in param.description
    task = dag.get_task("build")
    assert process_params(dag, task, None, suppress_exception=False) == {"full_refresh": False}  # a scheduled run
    assert process_params(dag, task, {}, suppress_exception=False) == {"full_refresh": False}
    assert process_params(dag, task, {"full_refresh": True}, suppress_exception=False) == {"full_refresh": True}
    with pytest.raises(ParamValidationError, match="full_refresh"):
        process_params(dag, task, {"full_refresh": "yes"}, suppress_exception=False)
