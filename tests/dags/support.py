"""Helpers for the DAG tests: what a run recorded in Airflow's metadata database."""
from __future__ import annotations


def asset_events(dag_run, asset_name: str) -> list[str]:
    """The task ids that recorded an event for the asset named `asset_name` in this DAG run."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return [task_id for (task_id,) in session.query(AssetEvent.source_task_id)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .filter(AssetModel.name == asset_name, AssetEvent.source_dag_id == dag_run.dag_id,
                        AssetEvent.source_run_id == dag_run.run_id)]
