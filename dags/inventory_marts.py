"""inventory_marts: the DuckDB warehouse, rebuilt from the lake whenever a lake Asset (AWS, Kubernetes, prices) updates.

build: every model of include/sql/ (staging -> intermediate -> marts, in the order their references
give) into a new warehouse file that replaces the old one atomically; marks the warehouse Asset with what
it rebuilt (its event's extra: build id, seconds, models, the lake's sources and dates read anew).
Trigger it by hand with the `full_refresh` Param on (the trigger form's checkbox, or the conf
{"full_refresh": true}) to rebuild every model from the whole lake; a run the lake's Assets start never is one.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from cloud_inventory import settings as inventory_settings
from cloud_inventory.assets import LAKE_AWS, LAKE_K8S, LAKE_PRICES, WAREHOUSE
from cloud_inventory.notifications import on_failure

SETTINGS = inventory_settings.load()


@dag(
    dag_id="inventory_marts",
    schedule=(LAKE_AWS | LAKE_K8S | LAKE_PRICES),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,  # one writer of the warehouse
    default_args=dict(retries=SETTINGS.task_retries, retry_delay=timedelta(seconds=SETTINGS.retry_delay_seconds),
                      on_failure_callback=on_failure(SETTINGS)),
    tags=["cloud-inventory", "warehouse"],
    doc_md=__doc__,
    params={"full_refresh": Param(
        False, type="boolean", title="Full refresh",
        description="Rebuild every model from the whole lake instead of only the snapshot dates whose lake files "
                    "changed: after lake files were changed by hand or by another tool, or to recover from a "
                    "damaged warehouse. Slower; runs started by the lake's Assets never do it.")},
)
def inventory_marts():
    @task(outlets=[WAREHOUSE])
    def build() -> dict:
        from cloud_inventory.pipeline import inventory_marts as work
        from cloud_inventory.warehouse.models import ModelError
        from cloud_inventory.warehouse.runner import build as build_warehouse

        context = get_current_context()
        try:
            result = build_warehouse(inventory_settings.load(), full_refresh=context["params"]["full_refresh"])
        except ModelError as error:  # a broken model: retrying will not fix it; the old warehouse stays
            raise AirflowFailException(str(error)) from None
        print(work.format_build(result))
        context["outlet_events"][WAREHOUSE].extra = work.warehouse_event(result)
        return {"build_id": result.build_id, "seconds": result.seconds, "models": len(result.stats)}

    build()


inventory_marts()
