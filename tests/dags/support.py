"""Helpers for the DAG tests: what a run recorded in Airflow's metadata database."""
from __future__ import annotations


def _events(dag_run, asset_name: str) -> list:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return [(task_id, extra) for task_id, extra in session.query(AssetEvent.source_task_id, AssetEvent.extra)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .filter(AssetModel.name == asset_name, AssetEvent.source_dag_id == dag_run.dag_id,
                        AssetEvent.source_run_id == dag_run.run_id)
                .order_by(AssetEvent.id)]


def asset_events(dag_run, asset_name: str) -> list[str]:
    """The task ids that recorded an event for the asset named `asset_name` in this DAG run."""
    return [task_id for task_id, _ in _events(dag_run, asset_name)]


def asset_event_extras(dag_run, asset_name: str) -> list[dict]:
    """The `extra` of each event this DAG run recorded for the asset named `asset_name`, as the metadata database
    keeps it (what the Assets page shows)."""
    return [extra for _, extra in _events(dag_run, asset_name)]
