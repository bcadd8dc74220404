"""Failure emails through the real Airflow (`dag.test()`), a real SMTP server on loopback (aiosmtpd) and the
SMTP provider's SmtpNotifier: one email per task that failed its last retry, naming the account and region;
none for a retry; a mail server that is down does not hide the task's own failure."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from cloud_inventory.demo import estate
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.demo.mailsink import SmtpSink, free_port, html_of, smtp_connection

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEV_ROLE_DENIED = [{"account_id": estate.DEV, "service": "sts", "action": "AssumeRole", "code": "AccessDenied",
                    "status": 403, "message": "User is not authorized to perform: sts:AssumeRole"}]


@pytest.fixture(scope="module")
def emulator():
    with Emulator(seed_demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def sink():
    with SmtpSink() as running:
        yield running


def parse_dag(monkeypatch, dag_id: str):
    """The DAG parsed with this test's settings (alert addresses and retries are read when a DAG file is parsed)."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com, sre@example.com")
    monkeypatch.setenv("INVENTORY_TASK_RETRIES", "1")
    monkeypatch.setenv("INVENTORY_RETRY_DELAY_SECONDS", "0")
    return DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id}.py")).get_dag(dag_id)


@pytest.fixture
def world(emulator, monkeypatch, tmp_path, airflow_db):
    emulator.set_faults(DEV_ROLE_DENIED)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(PROJECT_ROOT / "include/config/accounts.demo.yaml"))
    yield
    emulator.set_faults([])


def states_of(dag_run) -> dict:
    return {(ti.task_id, ti.map_index): (ti.state, ti.try_number) for ti in dag_run.get_task_instances()}


def test_each_task_that_fails_its_last_retry_sends_one_email_naming_the_account_and_its_regions(world, sink, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri())
    dag = parse_dag(monkeypatch, "aws_inventory")
    sink.clear()

    dag_run = dag.test(logical_date=datetime.now(timezone.utc))

    states = states_of(dag_run)
    failed = sorted(key for key, (state, _) in states.items() if state == "failed")
    assert dag_run.state == "failed"
    assert all(states[key][1] == 2 for key in failed if key[0] == "extract")  # failed, retried, failed again
    by_task = {}
    for message in sink.messages:
        by_task.setdefault(message["Subject"], []).append(message)
    dev_task = f"dev {estate.DEV}"  # one task for the account, its regions and its global types inside
    expected = {f"[cloud-inventory] aws_inventory.extract [{dev_task}] failed"}
    expected.add("[cloud-inventory] aws_inventory.report failed")
    assert set(by_task) == expected, {s: len(m) for s, m in by_task.items()}
    assert all(len(messages) == 1 for messages in by_task.values())
    (message,) = by_task[f"[cloud-inventory] aws_inventory.extract [{dev_task}] failed"]
    assert sorted(message["To"].addresses[i].addr_spec for i in range(2)) == ["oncall@example.com",
                                                                              "sre@example.com"]
    body = html_of(message)
    assert dev_task in body and "AssumeRole" in body and "Try number</th><td>2" in body
    assert all(region in body for region in (*estate.DEMO_REGIONS, "global"))  # the error names every region
    assert "aws_inventory" in body and "log" in body.lower()


def test_a_mail_server_that_is_down_does_not_hide_the_failure(world, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))  # nothing listens there
    dag = parse_dag(monkeypatch, "aws_inventory")

    dag_run = dag.test(logical_date=datetime.now(timezone.utc))

    states = states_of(dag_run)
    assert dag_run.state == "failed"
    assert sorted(task for (task, _), (state, _) in states.items() if state == "failed") == [
        "extract", "report"]
    assert sum(1 for (task, _), (state, _) in states.items() if task == "extract" and state == "success") == 2
