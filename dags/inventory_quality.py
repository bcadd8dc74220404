"""inventory_quality: are the sources fresh and the tables sound? Hourly, and whenever the warehouse is rebuilt.

evaluate: Great Expectations on the warehouse's staging models and marts (Data Docs under the data
          directory), marts.source_freshness recomputed as of now, every outcome into dq.check_results
digest:   one email to INVENTORY_ALERT_EMAILS when a source is stale, failing or never seen, a dump was
          quarantined, a check failed, or something is new since the previous digest (new waste, world-open
          rules, unhealthy Kubernetes objects, spikes; INVENTORY_WHATS_NEW_EMAIL=daily sends that part apart,
          once a day); none when all is well and nothing is new
Running on the clock as well as on the warehouse Asset is what notices a source that stopped arriving
while nothing upstream ran.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import AssetOrTimeSchedule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException
from airflow.timetables.trigger import CronTriggerTimetable

from cloud_inventory import settings as inventory_settings
from cloud_inventory.assets import WAREHOUSE
from cloud_inventory.notifications import on_failure

SETTINGS = inventory_settings.load()


@dag(
    dag_id="inventory_quality",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 * * * *", timezone="UTC"), assets=[WAREHOUSE]),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=dict(retries=SETTINGS.task_retries, retry_delay=timedelta(seconds=SETTINGS.retry_delay_seconds),
                      on_failure_callback=on_failure(SETTINGS)),
    tags=["cloud-inventory", "quality"],
    doc_md=__doc__,
)
def inventory_quality():
    @task
    def evaluate() -> dict:
        from cloud_inventory.pipeline import inventory_quality as work

        try:
            summary = work.evaluate(inventory_settings.load(), get_current_context()["run_id"])
        except work.NoWarehouse as error:
            raise AirflowSkipException(str(error)) from None
        print(f"{summary['checks']} checks, {summary['failed_checks']} failed; {summary['sources']} sources, "
              f"{summary['sources_not_fresh']} not fresh; Data Docs: {summary['data_docs']}")
        return summary

    @task
    def digest(summary: dict) -> dict:
        from cloud_inventory.pipeline import inventory_quality as work

        outcome = work.send_digest(inventory_settings.load(), summary["run_id"])
        for subject in outcome["subjects"] if outcome["sent_to"] else []:
            print(f"digest '{subject}' sent to {', '.join(outcome['sent_to'])}")
        print(outcome.get("note") or outcome.get("waiting") or f"new since the previous digest: {outcome['new_items']}")
        return outcome

    digest(evaluate())


inventory_quality()
