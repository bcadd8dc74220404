"""Every DAG file imports cleanly, the contract DAG ids exist, and DAG files stay thin."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"
HEAVY = {"boto3", "botocore", "duckdb", "pandas", "pyarrow", "great_expectations", "moto"}


@pytest.fixture(scope="module")
def dagbag(airflow_db) -> DagBag:
    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_aws_inventory_shape(dagbag):
    dag = dagbag.get_dag("aws_inventory")
    assert dag is not None
    assert set(dag.task_ids) == {"validate_config", "plan", "extract", "publish_lake", "report"}
    extract = dag.get_task("extract")
    assert extract.pool == "aws_inventory"
    assert dag.get_task("publish_lake").outlets[0].name == "cloud_inventory_lake_aws"
    assert dag.get_task("report").trigger_rule == "all_done"


def test_k8s_inventory_shape(dagbag):
    dag = dagbag.get_dag("k8s_inventory")
    assert dag is not None
    assert set(dag.task_ids) == {"validate_config", "ingest", "publish_lake", "report"}
    assert dag.schedule == "*/15 * * * *" and dag.max_active_runs == 1
    assert dag.get_task("publish_lake").outlets[0].name == "cloud_inventory_lake_k8s"
    assert dag.get_task("report").trigger_rule == "all_done"


def test_inventory_marts_runs_when_a_lake_updates_and_marks_the_warehouse(dagbag):
    dag = dagbag.get_dag("inventory_marts")
    assert dag is not None and set(dag.task_ids) == {"build"}
    assert {asset.name for asset in dag.timetable.asset_condition.objects} == {
        "cloud_inventory_lake_aws", "cloud_inventory_lake_k8s", "cloud_inventory_lake_prices"}
    assert dag.get_task("build").outlets[0].name == "cloud_inventory_warehouse"


def test_aws_prices_runs_monthly_and_marks_the_prices_lake(dagbag):
    dag = dagbag.get_dag("aws_prices")
    assert dag is not None and set(dag.task_ids) == {"fetch", "report"}
    assert dag.schedule == "@monthly" and dag.max_active_runs == 1
    assert dag.get_task("fetch").outlets[0].name == "cloud_inventory_lake_prices"


def test_inventory_quality_runs_hourly_and_when_the_warehouse_updates(dagbag):
    dag = dagbag.get_dag("inventory_quality")
    assert dag is not None and set(dag.task_ids) == {"evaluate", "digest"}
    assert dag.timetable.timetable._expression == "0 * * * *"
    assert {asset.name for asset in dag.timetable.asset_condition.objects} == {"cloud_inventory_warehouse"}


def test_every_dag_emails_on_failure_when_addresses_are_set(monkeypatch):
    monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com")
    bag = DagBag(dag_folder=str(DAGS))
    assert set(bag.dag_ids) == {"aws_inventory", "aws_prices", "k8s_inventory", "inventory_marts", "inventory_quality"}
    for dag in bag.dags.values():
        for task in dag.tasks:
            assert [type(callback).__name__ for callback in task.on_failure_callback] == ["FailureEmail"], task


@pytest.mark.parametrize("dag_file", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_import_nothing_heavy_at_module_level(dag_file):
    tree = ast.parse(dag_file.read_text())
    for node in tree.body:  # module level only; imports inside tasks run on workers
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in HEAVY, f"{dag_file.name} imports {name} at module level"


@pytest.mark.parametrize("dag_file", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_parsing_a_dag_file_loads_no_heavy_library(dag_file):
    """What every scheduler and dag-processor pays on each parse: no AWS SDK, DuckDB, pandas or Arrow."""
    probe = (f"import runpy, sys; runpy.run_path({str(dag_file)!r}); "
             f"print(' '.join(sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1:] in ([], [""]), result.stdout
