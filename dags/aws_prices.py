"""aws_prices: list prices from AWS's Price List Query API for what the inventory holds, monthly and on demand.

fetch: every price key the lake's latest snapshots call for (EC2, RDS, EBS, snapshots, public IPv4, load
       balancers, NAT gateways, CloudWatch Logs in each region found), one get_products query each, written to
       the lake's dated prices dataset (marks the prices Asset, so the marts rebuild with them)
report: fails the run if any query failed (its keys keep the prices of earlier runs, or the seed's)
Trigger it by hand after the inventory found new regions or instance types.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from cloud_inventory import settings as inventory_settings
from cloud_inventory.assets import LAKE_PRICES
from cloud_inventory.notifications import on_failure

SETTINGS = inventory_settings.load()


@dag(
    dag_id="aws_prices",
    schedule="@monthly",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=dict(retries=SETTINGS.task_retries, retry_delay=timedelta(seconds=SETTINGS.retry_delay_seconds),
                      on_failure_callback=on_failure(SETTINGS)),
    tags=["cloud-inventory", "aws", "prices"],
    doc_md=__doc__,
)
def aws_prices():
    @task(outlets=[LAKE_PRICES])
    def fetch() -> dict:
        from cloud_inventory.pipeline import aws_prices as work, run_gate

        context = get_current_context()
        settings = inventory_settings.load()
        day = run_gate.snapshot_date(context, settings)  # prices are of now, like snapshots
        summary = work.run(settings, day)
        print(work.format_summary(summary))
        context["outlet_events"][LAKE_PRICES].extra = {"snapshot_date": summary["snapshot_date"],
                                                       "keys": summary["keys"], "counts": summary["counts"]}
        return summary

    @task(retries=0)
    def report(summary: dict) -> None:
        failed = summary["counts"].get("error", 0)
        if failed:
            raise AirflowFailException(f"{failed} price quer(ies) failed (their keys keep earlier prices): "
                                       + "; ".join(summary["errors"][:20]))

    report(fetch())


aws_prices()
