"""k8s_inventory: every Kubernetes dump the bastions drop into S3, into the lake, once each.

validate_config -> ingest, mapped: one task per configured cluster (new dumps, oldest first;
                   unreadable ones quarantined; a ledger per cluster so no dump is done twice or skipped)
                -> publish_lake (marks the lake Asset when any dump landed, its event saying which) and
                   report (fails the run if a dump could not be read after the task's retries, or says why
                   nothing ran)
Runs every 15 minutes (INVENTORY_K8S_SCHEDULE). Dumps carry their own time, so any run picks up
whatever is new, whatever its logical date.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from cloud_inventory import settings as inventory_settings
from cloud_inventory.assets import LAKE_K8S
from cloud_inventory.notifications import on_failure

SETTINGS = inventory_settings.load()
RETRIES = dict(retries=SETTINGS.task_retries, retry_delay=timedelta(seconds=SETTINGS.retry_delay_seconds),
               retry_exponential_backoff=True, on_failure_callback=on_failure(SETTINGS),
               max_retry_delay=timedelta(minutes=10))


@dag(
    dag_id="k8s_inventory",
    schedule=SETTINGS.k8s_schedule,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,  # one writer per cluster ledger
    default_args=RETRIES,
    tags=["cloud-inventory", "kubernetes"],
    doc_md=__doc__,
)
def k8s_inventory():
    @task(retries=0)
    def validate_config() -> list[dict]:
        from cloud_inventory.pipeline import k8s_inventory as work, run_gate

        # an invalid accounts file fails this task and is recorded for report and publish_lake
        return run_gate.validate(get_current_context()["ti"],
                                 lambda: work.configured_clusters(inventory_settings.load()))

    @task(map_index_template="{{ cluster_label }}")
    def ingest(cluster: dict) -> dict:
        from cloud_inventory.pipeline import k8s_inventory as work

        context = get_current_context()
        context["cluster_label"] = f"{cluster['name']} ({cluster['account_id']} {cluster['region']})"
        summary = work.ingest_cluster(cluster, inventory_settings.load(), context["run_id"])
        print(work.format_cluster(summary))
        return summary

    @task(trigger_rule="all_done", outlets=[LAKE_K8S], retries=0)
    def publish_lake() -> None:
        """Marks the lake updated when any dump landed this run, its event saying which; a run with nothing new
        marks nothing."""
        from cloud_inventory.pipeline import k8s_inventory as work, run_gate

        context = get_current_context()
        run_gate.skip_publish_if_nothing_ran(context["ti"])
        summary = work.run_summary(inventory_settings.load(), context["run_id"])
        if not summary["processed"]:
            raise AirflowSkipException("no new dump landed in this run")
        context["outlet_events"][LAKE_K8S].extra = work.lake_event(summary)

    @task(trigger_rule="all_done", retries=0)
    def report() -> dict:
        from cloud_inventory.pipeline import k8s_inventory as work, run_gate

        run_gate.fail_report_if_nothing_ran(get_current_context()["ti"])
        summary = work.report(inventory_settings.load(), get_current_context()["run_id"])
        print(work.format_report(summary))
        if summary["failed"]:
            raise AirflowFailException(f"{len(summary['failed'])} dump(s) could not be read: "
                                       + "; ".join(f"{f['key']}: {f['error']}" for f in summary["failed"]))
        return summary

    ingested = ingest.expand(cluster=validate_config())
    ingested >> publish_lake()
    ingested >> report()


k8s_inventory()
