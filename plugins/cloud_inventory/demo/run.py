"""`make demo`: the DAGs through Airflow on the embedded demo estate, three consecutive days.

Starts the AWS emulator on a free loopback port, seeds the demo estate, and for each of the
last three days applies that day's changes, has the two demo clusters' bastions upload their dumps
through the real bastion script (demo/k8s.py; stg-eks falls silent on the last day), and runs
`airflow dags test` of aws_inventory, k8s_inventory, aws_prices (first and last day: the emulator serves the
Price List API) and inventory_marts for that day; then prints,
per account and resource type, what was captured each day, and what each cluster's dumps held.
inventory_quality runs on the last two days: its digest records the baseline of what is new, then lists
what the last day planted (demo/estate.py, demo/k8s.py); the emails land in the demo's mail sink.
The demo replays past days, so it allows snapshots up to four days old (INVENTORY_MAX_SNAPSHOT_AGE_HOURS);
real runs keep the default, which refuses to file today's state under an old date.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cloud_inventory import settings as inventory_settings
from cloud_inventory.demo import estate
from cloud_inventory.demo import k8s as demo_k8s
from cloud_inventory.demo import report
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.demo.mailsink import SmtpSink
from cloud_inventory.k8s.ledger import read_ledger
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import read_manifests

DAYS = 3
DEMO_DUMPS_URI = "s3://cloud-inventory-k8s-dumps/dumps"
DEMO_ALERT_EMAIL = "oncall@example.com"
# Two realistic denials, recorded as denied, never as "none": dev's service control policy blocks SageMaker, and
# dev is a member account the management account (prod) did not give Cost Explorer.
DEMO_FAULTS = [{"account_id": estate.DEV, "service": "sagemaker", "code": "AccessDeniedException",
                "message": "User is not authorized to perform sagemaker:List* with an explicit deny in a "
                           "service control policy", "status": 400},
               {"account_id": estate.DEV, "service": "ce", "code": "AccessDeniedException",
                "message": "Linked account doesn't have access to cost explorer. Please contact your master account.",
                "status": 400}]
# On the last day someone breaks dev's role trust: nothing in dev can be looked at (and stg-eks's bastion
# stops dumping, demo/k8s.py). The quality run must name exactly those.
DEV_ROLE_DENIED = {"account_id": estate.DEV, "service": "sts", "action": "AssumeRole", "code": "AccessDenied",
                   "status": 403, "message": "User is not authorized to perform: sts:AssumeRole on resource "
                                             "arn:aws:iam::333333333333:role/InventoryReadOnly"}


def faults_for_day(index: int, days: int = DAYS) -> list[dict]:
    return DEMO_FAULTS + ([DEV_ROLE_DENIED] if index == days - 1 else [])


def demo_environment(emulator: Emulator, data_dir: Path, mail: SmtpSink) -> dict[str, str]:
    env = {**os.environ, **emulator.env()}
    env.update({
        "INVENTORY_DATA_DIR": str(data_dir),
        "INVENTORY_ACCOUNTS_FILE": str(inventory_settings.PROJECT_ROOT / "include/config/accounts.demo.yaml"),
        "INVENTORY_MAX_SNAPSHOT_AGE_HOURS": str(24 * (DAYS + 1)),
        "INVENTORY_TASK_RETRIES": env.get("INVENTORY_TASK_RETRIES", "1"),
        "INVENTORY_RETRY_DELAY_SECONDS": env.get("INVENTORY_RETRY_DELAY_SECONDS", "5"),
    })
    for name in ("INVENTORY_LAKE_URI", "INVENTORY_WAREHOUSE_PATH"):
        env.pop(name, None)  # the demo writes under its data dir, never into a configured real lake
    env["INVENTORY_DUMPS_URI"] = DEMO_DUMPS_URI  # in the emulator
    env["INVENTORY_ALERT_EMAILS"] = DEMO_ALERT_EMAIL  # failure emails and the digest go to the demo's mail sink
    env["AIRFLOW_CONN_SMTP_DEFAULT"] = mail.connection_uri()
    if not env.get("AIRFLOW__API__BASE_URL"):  # the digest's links to the explorer: where `make airflow` serves it
        env["AIRFLOW__API__BASE_URL"] = demo_base_url(env)
    return env


def demo_base_url(environ: dict[str, str]) -> str:
    """The Airflow UI's address `make airflow` uses (empty when its settings are refused)."""
    from cloud_inventory.demo.standalone import Refused, airflow_environment  # standalone imports this module

    try:
        return airflow_environment(inventory_settings.demo_ui(), environ)["AIRFLOW__API__BASE_URL"]
    except (inventory_settings.SettingsError, Refused):
        return ""


def run_dag(dag_id: str, day: date, env: dict[str, str], log_dir: Path) -> tuple[int, float, Path]:
    log_file = log_dir / f"{dag_id}_{day.isoformat()}.log"
    started = time.monotonic()
    with log_file.open("w") as log:
        result = subprocess.run([str(Path(sys.executable).parent / "airflow"), "dags", "test", dag_id, day.isoformat()],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    return result.returncode, time.monotonic() - started, log_file


def captured(lake: Lake, days: list[date]) -> dict[tuple[str, str], dict[date, str]]:
    """(account name, resource type) -> day -> rows captured over its regions, or the first status not ok."""
    cells: dict[tuple[str, str], dict[date, int | str]] = defaultdict(dict)
    for day in days:
        for row in read_manifests(lake, day).to_pylist():
            by_day = cells[(row["account_name"], row["resource_type"])]
            current = by_day.get(day, 0)
            if isinstance(current, str):
                continue  # a region we could not look at already marks the day
            by_day[day] = current + row["rows"] if row["status"] == "ok" else row["status"]
    return {key: {day: str(value) for day, value in by_day.items()} for key, by_day in cells.items()}


def print_summary(table: dict[tuple[str, str], dict[date, str]], days: list[date]) -> None:
    accounts = [name for name in estate.DEMO_ACCOUNTS.values()]
    types = sorted({resource_type for _, resource_type in table})
    header = f"{'resource type':<26}" + "".join(f"{name + ' (' + '/'.join(d.strftime('%d') for d in days) + ')':>26}"
                                                for name in accounts)
    print(header)
    print("-" * len(header))
    for resource_type in types:
        cells = []
        for name in accounts:
            by_day = table.get((name, resource_type), {})
            cells.append("/".join(by_day.get(day, "-") for day in days))
        print(f"{resource_type:<26}" + "".join(f"{cell:>26}" for cell in cells))
    totals = {name: sum(int(v) for (account, _), by_day in table.items() if account == name
                        for v in [by_day.get(days[-1], "0")] if v.isdigit()) for name in accounts}
    print(f"{'total rows on ' + days[-1].isoformat():<26}" + "".join(f"{totals[name]:>26}" for name in accounts))


def main() -> int:
    settings = inventory_settings.load()
    data_dir = settings.data_dir
    for folder in ("lake", "demo", "quality"):
        shutil.rmtree(data_dir / folder, ignore_errors=True)
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (data_dir / name).unlink(missing_ok=True)
    log_dir = data_dir / "demo" / "logs"
    log_dir.mkdir(parents=True)
    today = datetime.now(timezone.utc).date()
    days = [today - timedelta(days=DAYS - 1 - offset) for offset in range(DAYS)]
    failures = 0
    mail_dir = data_dir / "demo" / "mail"
    with Emulator() as emulator, SmtpSink(mail_dir) as mail:
        print(f"AWS emulator (moto server) on {emulator.url}; mail sink (SMTP) on 127.0.0.1:{mail.port}")
        env = demo_environment(emulator, data_dir, mail)
        for index, day in enumerate(days):
            started = time.monotonic()
            emulator.set_faults([])
            changes = estate.seed(emulator.url, index)
            print(f"day {index + 1} ({day}): estate {'seeded' if index == 0 else 'changed'} in "
                  f"{time.monotonic() - started:.1f}s{_describe_changes(changes) if index else ''}")
            clusters = demo_k8s.clusters_for_day(index, DAYS)
            keys = demo_k8s.upload_dumps(emulator.url, day, index, dumps_uri=DEMO_DUMPS_URI, clusters=clusters)
            silent = sorted(set(demo_k8s.clusters_for_day(0, DAYS)) - set(clusters))
            print(f"  bastions uploaded {len(keys)} dump(s) with include/bastion/k8s-dump.sh"
                  + (f" ({', '.join(silent)} silent today)" if silent else ""))
            emulator.set_faults(faults_for_day(index))
            if index == DAYS - 1:
                print("  today dev's role trust is broken: AssumeRole into 333333333333 is denied")
            # prices from the (emulated) Price List API: on the first day, as the monthly run would, and on
            # the last, on demand after the estate changed; always before the marts that read them
            dag_ids = ["aws_inventory", "k8s_inventory"] + (["aws_prices"] if index in (0, DAYS - 1) else [])
            dag_ids += ["inventory_marts"]
            # the quality run (and its digest) on the last two days: the first records what is there as the
            # baseline of what is new, the last day's digest lists what that day planted
            dag_ids += ["inventory_quality"] if index >= DAYS - 2 else []
            for dag_id in dag_ids:
                code, seconds, log_file = run_dag(dag_id, day, env, log_dir)
                planned = dag_id == "aws_inventory" and code != 0 and only_dev_failed(Lake(str(data_dir / "lake")), day)
                status = ("success" if code == 0 else "failed, as planned: dev could not be entered" if planned
                          else f"FAILED (exit {code})")
                print(f"  airflow dags test {dag_id} {day}: {status} in {seconds:.0f}s; log: {log_file}")
                failures += code != 0 and not planned
        messages = mail.messages
    lake = Lake(str(data_dir / "lake"))
    print(f"\nCaptured per account and resource type (rows per day; 'denied'/'failed' where we could not look)\n"
          f"lake: {lake.uri}\n")
    print_summary(captured(lake, days), days)
    print_dumps(lake)
    warehouse = data_dir / "warehouse.duckdb"
    print(f"\nwarehouse: {warehouse}   (.venv/bin/python -m cloud_inventory find <ip or name>; changes <id or name>; sql \"...\")")
    print(explorer_note(warehouse, dict(os.environ)))
    report.print_marts(warehouse)
    report.print_prices(warehouse)
    report.print_quality(warehouse, messages, mail_dir, data_dir / "quality" / "data_docs" / "index.html")
    return 1 if failures else 0


def explorer_note(warehouse: Path, environ: dict[str, str]) -> str:
    """How to open the warehouse the demo left in the inventory explorer: `make airflow` serves it."""
    # imported here: standalone imports this module
    from cloud_inventory.demo.standalone import Refused, airflow_environment, explorer_url, login_hint

    try:
        ui = inventory_settings.demo_ui()
        where = f"{explorer_url(airflow_environment(ui, environ))} ({login_hint(ui, environ)})"
    except (inventory_settings.SettingsError, Refused) as error:
        return f"explore it in the browser: `make airflow` would refuse to start with these settings: {error}"
    other = environ.get("INVENTORY_WAREHOUSE_PATH", "").strip()
    if other and Path(other).resolve() != warehouse.resolve():
        return (f"explore it in the browser: unset INVENTORY_WAREHOUSE_PATH (the explorer would read {other}), "
                f"run `make airflow` and open {where}")
    return f"explore it in the browser: run `make airflow` and open {where}"


def only_dev_failed(lake: Lake, day: date) -> bool:
    """The last day's aws_inventory fails because dev's role is denied: was that the only failure?"""
    failed = {row["account_id"] for row in read_manifests(lake, day).to_pylist() if row["status"] == "failed"}
    return failed == {estate.DEV}


def print_dumps(lake: Lake) -> None:
    print("\nKubernetes dumps ingested per cluster (from the ledgers in the lake)\n")
    print(f"{'cluster':<12}{'dump time (UTC)':<28}{'status':<13}{'pods':>6}{'nodes':>7}{'rows':>7}")
    for cluster in demo_k8s.clusters_for_day(0, DAYS):
        for entry in read_ledger(lake, cluster):
            counts = entry["table_rows"]
            print(f"{cluster:<12}{entry['dump_at'].isoformat():<28}{entry['status']:<13}"
                  f"{counts.get('pod', 0):>6}{counts.get('node', 0):>7}{entry['rows']:>7}")


def _describe_changes(changes: dict) -> str:
    parts = [f"{key}: {', '.join(value) if isinstance(value, list) else value}" for key, value in changes.items()
             if key in ("resized", "ingress_added", "volume_deleted", "volume_created", "launched", "terminated",
                        "retagged")]
    return " (" + "; ".join(parts) + ")" if parts else ""


if __name__ == "__main__":
    sys.exit(main())
