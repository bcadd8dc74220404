"""inventory_quality end to end: the real Airflow (`dag.test()`) over the demo world's warehouse, Great
Expectations, freshness, and the digest to a real SMTP server on loopback: it names exactly dev's sources
(dev's role is denied on the last day) and the silent cluster stg-eks, and nothing else."""
from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import duckdb
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.demo import seeded_secrets
from cloud_inventory.demo.mailsink import SmtpSink, html_of
from cloud_inventory.warehouse.runner import build

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_the_digest_names_exactly_the_denied_account_and_the_silent_cluster(demo_world, monkeypatch, tmp_path,
                                                                             airflow_db, capfd):
    from airflow.dag_processing.dagbag import DagBag

    for name, value in demo_world["env"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_LAKE_URI", str(demo_world["lake"].root))
    monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com")
    settings = inventory_settings.load()
    build(settings)
    logged = io.StringIO()  # the tasks' log records: Airflow's own handler writes to whichever stdout it first
    handler = logging.StreamHandler(logged)  # saw (an earlier test's capture, after another dag.test())
    logging.getLogger().addHandler(handler)
    try:
        with SmtpSink() as sink:
            monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri())
            dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "inventory_quality.py")).get_dag("inventory_quality")
            dag_run = dag.test()
            messages = sink.messages
    finally:
        logging.getLogger().removeHandler(handler)
    task_logs = logged.getvalue() + "".join(capfd.readouterr())

    assert dag_run.state == "success"
    (digest,) = messages
    body = html_of(digest)
    assert digest["Subject"].startswith("[cloud-inventory] quality: ") and "stale" in digest["Subject"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        not_fresh = con.execute("select distinct account_name, coalesce(cluster, '') from marts.source_freshness "
                                "where status <> 'fresh'").fetchall()
        failed_checks = con.execute("select count(*) from dq.check_results where status in ('fail', 'error') "
                                    "and check_name <> 'source_freshness'").fetchone()[0]
        gx_checks = con.execute("select count(*) from dq.check_results where check_name <> 'source_freshness'"
                                ).fetchone()[0]
    assert sorted(not_fresh) == [("dev", ""), ("staging", "stg-eks")]
    assert "dev 333333333333" in body and "cluster stg-eks" in body and "AssumeRole" in body
    assert "prod 111111111111" not in body and "staging 222222222222</td><td>us-east-1</td><td>cluster stg-eks" in body
    assert body.count("staging 222222222222") == 1 and "prod-eks" not in body
    assert failed_checks == 0 and gx_checks > 100
    assert (tmp_path / "quality" / "data_docs" / "index.html").exists()

    # the secrets scan of what this run made from the demo world (tests/warehouse/test_secrets_scan.py has the
    # lake and the warehouse): the email, the task logs (and any log file under AIRFLOW_HOME), the data docs
    parts = [part.get_content() for part in digest.walk() if part.get_content_maintype() == "text"]
    outputs = {"digest email": "\n".join([digest.as_string(), *parts]), "task logs": task_logs}
    for folder in (tmp_path / "quality", Path(os.environ["AIRFLOW_HOME"]) / "logs"):
        outputs.update({str(path): path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file()})
    assert "expectations on" in task_logs and "[DAG TEST] end task task_id=digest" in task_logs
    leaked = {where: value for where, text in outputs.items() for value in seeded_secrets.ALL if value in text}
    assert not leaked, leaked
