"""aws_inventory: snapshot every resource of every account and region into the lake, daily.

validate_config -> plan -> extract, mapped: one task per account, running its regions (and "global" for S3,
                                     Route 53 and CloudFront) a few at a time; a retry redoes only the regions that
                                     failed
                        -> publish_lake (marks the lake Asset, its event saying what was written; skipped
                           when nothing was extracted) and report (fails the run if any (account, region) failed,
                           or says why nothing ran)
Extraction tasks share an Airflow pool, so the number of concurrent API callers stays bounded.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from cloud_inventory import settings as inventory_settings
from cloud_inventory.assets import LAKE_AWS
from cloud_inventory.notifications import on_failure

SETTINGS = inventory_settings.load()
RETRIES = dict(retries=SETTINGS.task_retries, retry_delay=timedelta(seconds=SETTINGS.retry_delay_seconds),
               retry_exponential_backoff=True, on_failure_callback=on_failure(SETTINGS),
               max_retry_delay=timedelta(minutes=30))


def _run_identity() -> tuple:
    """(snapshot date, run id) of the running task, refusing logical dates too far in the past."""
    from cloud_inventory.pipeline import run_gate

    context = get_current_context()
    return run_gate.snapshot_date(context, inventory_settings.load()), context["run_id"]


@dag(
    dag_id="aws_inventory",
    schedule="@daily",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=RETRIES,
    tags=["cloud-inventory", "aws"],
    doc_md=__doc__,
)
def aws_inventory():
    @task(retries=0)
    def validate_config() -> dict:
        from cloud_inventory.pipeline import aws_inventory as work, run_gate

        # an invalid accounts file fails this task and is recorded for report and publish_lake
        return run_gate.validate(get_current_context()["ti"],
                                 lambda: work.validate_config(inventory_settings.load()))

    @task
    def plan() -> list[dict]:
        """One entry per account: its regions and "global"."""
        from cloud_inventory.pipeline import aws_inventory as work

        _run_identity()
        planned = work.plan(inventory_settings.load())
        # Accounts that could not be planned are reported (and fail the run) after the others have run.
        get_current_context()["ti"].xcom_push(key="unplanned", value=planned["unplanned"])
        return planned["accounts"]

    @task(pool=SETTINGS.aws_pool, map_index_template="{{ account_label }}")
    def extract(account: dict) -> dict:
        from cloud_inventory.pipeline import aws_inventory as work

        get_current_context()["account_label"] = f"{account['account']['name']} {account['account']['id']}"
        snapshot_date, run_id = _run_identity()
        return work.run_account(account, inventory_settings.load(), snapshot_date, run_id)

    @task(trigger_rule="all_done", outlets=[LAKE_AWS], retries=0)
    def publish_lake(planned: list | None) -> None:
        """Marks the lake updated whatever extraction failed (the marts show failed sources as stale, not deleted),
        saying what this run wrote; skipped when nothing was extracted (an invalid accounts file, no plan)."""
        from cloud_inventory.pipeline import aws_inventory as work, run_gate

        context = get_current_context()
        run_gate.skip_publish_if_nothing_ran(context["ti"], planned)
        snapshot_date, run_id = _run_identity()
        context["outlet_events"][LAKE_AWS].extra = work.lake_event(inventory_settings.load(), snapshot_date, run_id)

    @task(trigger_rule="all_done", retries=0)
    def report(planned: list | None) -> dict:
        from cloud_inventory.pipeline import aws_inventory as work, run_gate

        run_gate.fail_report_if_nothing_ran(get_current_context()["ti"], planned)
        snapshot_date, run_id = _run_identity()
        unplanned = get_current_context()["ti"].xcom_pull(task_ids="plan", key="unplanned") or []
        summary = work.report(inventory_settings.load(), snapshot_date, run_id, list(planned))
        print(work.format_report(summary))
        problems = summary["failed"] + [f"{m}: no manifest (its task did not finish)"
                                        for m in summary["missing_manifests"]]
        problems += [f"{u['account_id']}: not planned: {u['reason']}" for u in unplanned]
        if problems:
            raise AirflowFailException(f"{len(problems)} source(s) not captured: " + "; ".join(problems))
        return summary

    planned = plan()
    validate_config() >> planned
    extracted = extract.expand(account=planned)
    extracted >> publish_lake(planned)
    extracted >> report(planned)


aws_inventory()
