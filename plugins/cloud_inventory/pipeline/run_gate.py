"""One clear failure when an ingestion run could not start (aws_inventory, k8s_inventory, aws_prices).

The DAGs' report and publish_lake run whatever happened upstream (trigger rule all_done). When the accounts file
is invalid, validate_config records the validator's problems in XCom before it fails, so that report fails saying
the run failed because of them (instead of reading the results of tasks that never ran), and publish_lake skips
instead of marking the lake's Asset: nothing was written, so the marts must not be woken. A run that extracted and
failed for some sources still marks it (failed sources show stale, not deleted).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, TypeVar

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from cloud_inventory.accounts import AccountsConfigError

VALIDATE_TASK = "validate_config"
INVALID_ACCOUNTS_FILE = "invalid_accounts_file"  # validate_config's XCom key: the validator's problems
Result = TypeVar("Result")


def validate(ti, check: Callable[[], Result]) -> Result:
    """`check()`'s result; an invalid accounts file is recorded for report and publish_lake and fails the task."""
    try:
        return check()
    except AccountsConfigError as error:
        ti.xcom_push(key=INVALID_ACCOUNTS_FILE, value=str(error))
        raise AirflowFailException(str(error)) from None


def invalid_accounts_file(ti) -> str | None:
    """The validator's problems when this run's validate_config failed on them, else None."""
    return ti.xcom_pull(task_ids=VALIDATE_TASK, key=INVALID_ACCOUNTS_FILE)


def fail_report_if_nothing_ran(ti, planned: Any = ()) -> None:
    """For report: fails the task, saying why, when the accounts file was invalid or (aws_inventory, whose report
    is given the plan) nothing was planned."""
    problems = invalid_accounts_file(ti)
    if problems:
        raise AirflowFailException(f"the run failed because the accounts file is invalid, so nothing was extracted "
                                   f"and the lake was not touched. {problems}")
    if planned is None:
        raise AirflowFailException("the run failed before anything was extracted: the plan task did not finish "
                                   "(see its log)")


def skip_publish_if_nothing_ran(ti, planned: Any = ()) -> None:
    """For publish_lake: skips the task (its Asset is not marked) when the accounts file was invalid or
    (aws_inventory) nothing was planned."""
    if invalid_accounts_file(ti):
        raise AirflowSkipException("the accounts file is invalid: nothing was written, so the lake is not marked")
    if planned is None:
        raise AirflowSkipException("nothing was planned, so nothing was written: the lake is not marked")


def snapshot_date(context, settings) -> date:
    """The date the running task files what it reads of now under: its run's logical date, refused (the task fails,
    not retried) when that is too far in the past, since a snapshot can only be taken of now."""
    from cloud_inventory.pipeline.aws_inventory import SnapshotDateTooOld, snapshot_date_for

    logical_date = context.get("logical_date") or context["dag_run"].run_after
    try:
        return snapshot_date_for(logical_date, datetime.now(timezone.utc), settings)
    except SnapshotDateTooOld as error:
        raise AirflowFailException(str(error)) from None
