"""What each process of the extractor's pool runs: one Airflow mapped task, i.e. one `extract_account` call."""
from __future__ import annotations

import os
import resource
import time
from datetime import date


def init(env: dict[str, str]) -> None:
    """Like an Airflow worker: settings come from the environment; the library is imported before the task."""
    os.environ.update(env)
    import cloud_inventory.aws.extractor  # noqa: F401
    import cloud_inventory.aws.metrics  # noqa: F401


def ready() -> int:
    return os.getpid()


def run_account(account: dict, regions: list[str], lake_dir: str, snapshot_date: str, run_id: str) -> dict:
    from cloud_inventory.accounts import Account
    from cloud_inventory.aws.extractor import extract_account
    from cloud_inventory.lake import Lake
    from cloud_inventory.settings import load

    started, cpu = time.monotonic(), _cpu()
    results = extract_account(Account(**account), regions, load(), Lake(lake_dir), date.fromisoformat(snapshot_date),
                              run_id)
    return {
        "account_id": account["id"], "seconds": time.monotonic() - started, "pid": os.getpid(),
        "regions": [{
            "region": result.region,
            "seconds": (max(o.finished_at for o in result.outcomes)
                        - min(o.started_at for o in result.outcomes)).total_seconds(),
            "outcomes": [{"type": o.resource_type, "status": o.status, "rows": o.rows, "api_calls": o.api_calls,
                          "seconds": o.seconds, "error": f"{o.error_class}: {o.error_message}" if o.error_class
                          else None} for o in result.outcomes]} for result in results],
        "cpu_s": _cpu() - cpu,  # every thread of this process, during this task
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
