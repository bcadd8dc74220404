"""The digest of what is new on consecutive demo days, through a real SMTP server on loopback (aiosmtpd).

The demo world's lake (tests/conftest.py) is fed into a lake of this test a day at a time, as the daily DAGs would
fill it: after each day the warehouse is built (whole the first day, then incrementally), inventory_quality's
evaluate records the run (freshness; Great Expectations stood in for: not the subject here) and the digest is
sent. The first day's digest is the baseline; the second day's lists exactly what day 1 of the estate changed
into something to hear about, and the third day's exactly what demo/estate.py and demo/k8s.py plant for the
digest on the last day (a world-open SSH rule on prod-app, the unattached volume prod-export-scratch with its
dollars, the pod data/debug-shell failing to pull its image) and the load balancer the day's termination of
stg-web-1 leaves idle: nothing old.
"""
from __future__ import annotations

import os
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.demo.estate import PROD, US
from cloud_inventory.demo.mailsink import SmtpSink, html_of
from cloud_inventory.pipeline import inventory_quality as work
from cloud_inventory.warehouse.runner import build

from warehouse.test_marts_waste import price, threshold  # tests/ is on the path: the prices read from the seed, not a model

BASE = "http://127.0.0.1:8080"


def feed_lake(world_lake: Path, lake: Path, last_day) -> None:
    """Copy into `lake` what the world's lake holds up to `last_day`: every file of a date folder (data, manifests
    and the writer's dt= markers) not after it, and each cluster's ledger with the dumps of those days."""
    for folder, _, files in os.walk(world_lake):
        relative = Path(folder).relative_to(world_lake)
        dates = [part[3:] for part in relative.parts if part.startswith("dt=")]
        if any(day > last_day.isoformat() for day in dates):
            continue
        for name in files:
            source, target = Path(folder) / name, lake / relative / name
            if relative.parts[:2] == ("manifests", "k8s"):  # the ledger: not dated, its entries are
                table = pq.read_table(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(table.filter(pc.less_equal(table["snapshot_date"], last_day)), target)
            elif not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


@pytest.fixture
def days_of_digests(demo_world, tmp_path, monkeypatch):
    """Per demo day: (the outcome of send_digest, the messages the sink caught that day)."""
    for name, value in demo_world["env"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_LAKE_URI", str(tmp_path / "lake"))
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com")
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE)
    monkeypatch.delenv("INVENTORY_WHATS_NEW_EMAIL", raising=False)
    world_lake = Path(demo_world["lake"].root)
    found = []
    with SmtpSink() as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri())
        for index, day in enumerate(demo_world["days"]):
            feed_lake(world_lake, tmp_path / "lake", day)
            settings = inventory_settings.load()
            build(settings)
            run_id = f"quality-{day}"
            work.evaluate(settings, run_id, expectations=lambda *_: [])
            before = len(sink.messages)
            outcome = work.send_digest(settings, run_id)
            found.append((outcome, sink.messages[before:]))
    return found


def test_the_digest_of_each_demo_day_lists_exactly_what_appeared_that_day(demo_world, days_of_digests):
    changes = demo_world["changes"]
    (first, first_mail), (second, second_mail), (third, third_mail) = days_of_digests

    # day 0: the baseline, recorded, nothing listed (dev's SageMaker is denied every day: a quality email goes)
    assert first["baseline"] and first["new_items"] == {}
    (mail,) = first_mail
    assert "new:" not in mail["Subject"] and "recorded as the baseline" in html_of(mail)

    # day 1: Postgres opened to the world on prod-db; on prod-eks shop/worker's replacement pod crash-loops, so
    # the deployment is short; on stg-eks the new shop/checkout pod of a rollout crash-loops (the evicted pod
    # and the pending claim were there on day 0; the dead node of stg-eks went away)
    assert second["new_items"] == {"open_ingress": 1, "k8s_unhealthy": 3}
    (mail,) = second_mail
    body = html_of(mail)
    news = body.split(">Sources not fresh")[0]
    assert mail["Subject"].endswith("; new: 1 open rule, 3 unhealthy Kubernetes objects")
    assert changes[1]["ingress_added"]["group_id"] in news and "debug access INC-4711" in news
    assert news.count("<td>crash_looping_pod</td>") == 2 and ">Deployment shop/worker</a>" in news
    assert "<td>prod-eks</td><td>workload_short</td>" in news and "<td>stg-eks</td><td>crash_looping_pod</td>" in news
    assert "evicted_pod" not in news and "pending_claim" not in news and "node_not_ready" not in news

    # day 2: exactly the planted items, and what the day's planted change caused (stg-web-1 terminated leaves
    # stg-web-alb with no targets: idle from today), nothing old
    assert {kind: n for kind, n in third["new_items"].items() if kind != "source"} == {
        "waste": 2, "open_ingress": 1, "k8s_unhealthy": 1}
    (mail,) = third_mail
    body = html_of(mail)
    volume, opened = changes[2]["volume_created"], changes[2]["ingress_added"]
    cent = Decimal("0.01")
    volume_usd = (300 * price("ebs:gp3:storage", US)).quantize(cent, ROUND_HALF_UP)
    alb_usd = (threshold("hours_per_month") * price("elb:application", US)).quantize(cent, ROUND_HALF_UP)
    assert mail["Subject"].endswith(f"; new: 2 waste findings (${volume_usd + alb_usd}/month), 1 open rule, "
                                    "1 unhealthy Kubernetes object")
    assert f'<a href="{BASE}/inventory/resources/ebs_volume/{PROD}/{US}/{volume}">prod-export-scratch ({volume})</a>' \
        in body and f"<td>${volume_usd}</td><td>unattached_volume</td>" in body
    assert f"<td>${alb_usd}</td><td>idle_load_balancer</td><td>staging 222222222222</td>" in body
    assert ">stg-web-alb (arn:aws:elasticloadbalancing:us-east-1:222222222222:loadbalancer/app/stg-web-alb/" in body
    assert f'<a href="{BASE}/inventory/resources/security_group/{PROD}/{US}/{opened["group_id"]}">prod-app' in body
    assert "<td>tcp 22</td><td>0.0.0.0/0</td><td>vendor debug INC-4802</td>" in body
    assert f'<a href="{BASE}/inventory/resources/k8s_pod/{PROD}/{US}/prod-eks/data/debug-shell">' in body
    assert "image_pull_failing_pod" in body and "latets" in body
    news = body.split(">Sources not fresh")[0]  # the sections of what is new come first
    for old in ("prod-archive-2023", "INC-4711", "crash_looping_pod", "workload_short", "prod-db", "prod-bastion"):
        assert old not in news, old
    assert news.count("<tr><td>") == 4  # four rows: the three planted items and the idle load balancer
    # the quality part still names what is wrong today: all of dev failing, stg-eks silent
    assert "dev 333333333333" in body and "cluster stg-eks" in body
