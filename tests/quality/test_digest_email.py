"""The digest's email through a real SMTP server on loopback (aiosmtpd), on crafted warehouses: what is new inside
the quality email or in a daily email of its own (INVENTORY_WHATS_NEW_EMAIL), nothing new and nothing wrong -> no
email, HTML with a plain-text alternative, explorer links from Airflow's [api] base_url, hostile names escaped,
long sections cut with the rest counted, and a failed send that forgets nothing."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from airflow.exceptions import AirflowException

from cloud_inventory import settings as inventory_settings
from cloud_inventory.demo.mailsink import SmtpSink, free_port, smtp_connection
from cloud_inventory.pipeline import inventory_quality as work
from cloud_inventory.quality.digest import MAX_ROWS

from .crafted import STAGING, Crafted, open_rule, source, spike, unhealthy, waste

T0 = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)
BASE = "https://airflow.example.com"


@pytest.fixture
def sink(monkeypatch):
    with SmtpSink() as running:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", running.connection_uri())
        monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com")
        yield running


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE)
    crafted = Crafted(tmp_path / "warehouse.duckdb")
    crafted.put("marts.waste", [waste("vol-old", 40.0, name="prod-archive")])
    crafted.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web")])
    crafted.put("marts.k8s_unhealthy", [unhealthy("worker-7d9f-abcde")])
    crafted.put("marts.cost_spikes", [])
    crafted.put("marts.source_freshness", [])
    return crafted


def run(crafted: Crafted, at: datetime, run_id: str) -> dict:
    crafted.quality_run(run_id, at)
    return work.send_digest(inventory_settings.load(), run_id)


def plant(crafted: Crafted, *, hostile: bool = False) -> None:
    """The old items and a new one of each kind (with names full of markup when `hostile`)."""
    name = '<script>alert("x")</script> & co' if hostile else "prod-export-scratch"
    crafted.put("marts.waste", [waste("vol-old", 40.0, name="prod-archive"), waste("vol-new", 24.0, name=name),
                                waste("db-<b>idle</b>", None, category="idle_rds_instance")])
    crafted.put("marts.security_group_open_ingress", [
        open_rule("sg-web", "443", name="prod-web"),
        open_rule("sg-app", "22", name='app"><img src=x onerror=alert(1)>' if hostile else "prod-app",
                  description="vendor debug\nSubject: forged" if hostile else "vendor debug INC-4802")])
    crafted.put("marts.k8s_unhealthy", [unhealthy("worker-7d9f-abcde"),
                                        unhealthy("debug-shell", "image_pull_failing_pod", namespace="data",
                                                  detail="ImagePullBackOff: <toolbox:latets>" if hostile
                                                  else "ImagePullBackOff: toolbox:latets")])
    crafted.put("marts.cost_spikes", [spike("/aws/containerinsights/prod-eks/application", date(2026, 11, 20),
                                            cluster="prod-eks")])


def parts(message) -> tuple[str, str]:
    texts = {part.get_content_type(): part.get_content() for part in message.walk()
             if part.get_content_maintype() == "text"}
    return texts["text/plain"], texts["text/html"]


def test_what_is_new_is_inside_the_quality_email_with_dollars_links_and_a_text_part(warehouse, sink):
    first = run(warehouse, T0, "q1")
    assert first["baseline"] and sink.messages == [] and "no email" in first["note"]  # the baseline, silently
    plant(warehouse)
    outcome = run(warehouse, T0 + timedelta(hours=1), "q2")

    (message,) = sink.messages
    assert message["Subject"] == outcome["subject"] == (
        "[cloud-inventory] what is new: 2 waste findings ($24.00/month, 1 unpriced), 1 open rule, "
        "1 unhealthy Kubernetes object, 1 spike")
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "New waste (2): $24.00 a month, 1 unpriced" in html and "$24.00" in html
    assert "unpriced: no price for ebs:io2:storage" in html
    assert f'<a href="{BASE}/inventory/resources/ebs_volume/111111111111/us-east-1/vol-new">' \
           "prod-export-scratch (vol-new)</a>" in html
    assert f'<a href="{BASE}/inventory/resources/security_group/111111111111/us-east-1/sg-app">' in html
    assert f'<a href="{BASE}/inventory/resources/k8s_pod/111111111111/us-east-1/prod-eks/data/debug-shell">' in html
    assert "cluster prod-eks: 3 evicted, 1 crash-looping pod(s)" in html and "$800.00" in html and "32.0x" in html
    # nothing old: the items of the baseline are not in it
    assert "vol-old" not in html and "sg-web" not in html and "worker-7d9f" not in html
    assert "<script" not in html and "style=" in html
    # the text part says the same, links as <url>
    assert "prod-export-scratch (vol-new) <https://airflow.example.com/inventory/resources/ebs_volume/" in text
    assert "New world-open security-group rules (1)" in text and "vol-old" not in text and "<td>" not in text

    assert run(warehouse, T0 + timedelta(hours=2), "q3")["subject"] is None  # nothing new, nothing wrong
    assert len(sink.messages) == 1
    assert warehouse.query("select run_id, email_sent from dq.digests order by digest_at") == [
        ("q1", False), ("q2", True)]  # a digest that sends nothing changes nothing


def test_a_failing_source_sends_the_quality_email_and_what_is_new_rides_along(warehouse, sink):
    run(warehouse, T0, "q1")
    warehouse.put("marts.source_freshness", [source(STAGING, t, since=T0 + timedelta(minutes=50, microseconds=n))
                                             for n, t in enumerate(("vpc", "subnet", "ec2_instance"))])
    warehouse.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web"),
                                                        open_rule("sg-app", "22")])
    run(warehouse, T0 + timedelta(hours=1), "q2")
    (message,) = sink.messages
    assert message["Subject"] == "[cloud-inventory] quality: 3 failing source(s); new: 1 open rule"
    _, html = parts(message)
    assert html.count("staging 222222222222") == 1 and "ec2_instance, subnet, vpc (3 types)" in html
    assert html.index("New world-open security-group rules") < html.index("Sources not fresh")
    assert "Sources newly not fresh" not in html  # the quality part lists them all already


def test_daily_mode_sends_what_is_new_apart_at_most_once_a_utc_day(warehouse, sink, monkeypatch):
    monkeypatch.setenv("INVENTORY_WHATS_NEW_EMAIL", "daily")
    run(warehouse, T0, "q1")
    warehouse.put("marts.source_freshness", [source(STAGING, "vpc", since=T0 + timedelta(minutes=30))])
    plant(warehouse)
    run(warehouse, T0 + timedelta(hours=1), "q2")
    quality, news = sink.messages
    assert quality["Subject"] == "[cloud-inventory] quality: 1 failing source(s)"
    assert "New waste" not in parts(quality)[1]
    assert news["Subject"].startswith("[cloud-inventory] what is new: 2 waste findings")
    assert news["Subject"].endswith(", 1 spike, 1 source newly not fresh")
    assert "Sources newly not fresh (1)" in parts(news)[1]

    # later that day something else appears: it waits for the next day's email (the quality email goes on)
    warehouse.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web"),
                                                        open_rule("sg-app", "22"), open_rule("sg-db", "5432")])
    later = run(warehouse, T0 + timedelta(hours=5), "q3")
    assert "waits for tomorrow" in later["waiting"] and len(sink.messages) == 3
    assert "what is new" not in sink.messages[-1]["Subject"]
    run(warehouse, T0 + timedelta(days=1), "q4")
    assert [m["Subject"] for m in sink.messages[3:]] == [
        "[cloud-inventory] quality: 1 failing source(s)", "[cloud-inventory] what is new: 1 open rule"]
    assert "sg-db" in parts(sink.messages[-1])[1]


def test_hostile_names_are_escaped_in_the_html_and_kept_on_one_line_in_the_text(warehouse, sink):
    run(warehouse, T0, "q1")
    plant(warehouse, hostile=True)
    run(warehouse, T0 + timedelta(hours=1), "q2")
    (message,) = sink.messages
    text, html = parts(message)
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<toolbox" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "app&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "/inventory/resources/ebs_volume/111111111111/us-east-1/db-%3Cb%3Eidle%3C/b%3E" in html
    assert message["Subject"].count("\n") == 0 and "forged" not in message["Subject"]
    assert not any(line.startswith("Subject: forged") for line in text.splitlines())
    assert "vendor debug Subject: forged" in text
    # every tag in the HTML is one the digest writes
    assert set(re.findall(r"</?([a-z0-9]+)", html)) <= {"html", "body", "h2", "h3", "table", "tr", "th", "td", "a", "p"}


def test_a_long_section_is_cut_and_the_rest_counted_with_the_explorer_page(warehouse, sink):
    run(warehouse, T0, "q1")
    warehouse.put("marts.waste", [waste("vol-old", 40.0, name="prod-archive")]
                  + [waste(f"vol-{n:03d}", 1.0) for n in range(MAX_ROWS + 10)])
    run(warehouse, T0 + timedelta(hours=1), "q2")
    (message,) = sink.messages
    text, html = parts(message)
    assert message["Subject"] == f"[cloud-inventory] what is new: {MAX_ROWS + 10} waste findings ($60.00/month)"
    assert html.count("/inventory/resources/ebs_volume/") == MAX_ROWS
    assert f'… and <a href="{BASE}/inventory/waste">the 10 more</a> ({MAX_ROWS + 10} in all).' in html
    assert f"... and the 10 more <{BASE}/inventory/waste> ({MAX_ROWS + 10} in all)." in text


def test_without_a_base_url_there_are_no_links(warehouse, sink, monkeypatch):
    monkeypatch.delenv("AIRFLOW__API__BASE_URL")
    run(warehouse, T0, "q1")
    plant(warehouse)
    run(warehouse, T0 + timedelta(hours=1), "q2")
    _, html = parts(sink.messages[0])
    assert "<a " not in html and "prod-export-scratch (vol-new)" in html


def test_a_send_that_fails_forgets_nothing(warehouse, monkeypatch):
    monkeypatch.setenv("INVENTORY_ALERT_EMAILS", "oncall@example.com")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))  # nothing listens there
    run(warehouse, T0, "q1")
    plant(warehouse)
    with pytest.raises((ConnectionRefusedError, AirflowException)):
        run(warehouse, T0 + timedelta(hours=1), "q2")
    assert warehouse.query("select run_id from dq.digests") == [("q1",)]
    with SmtpSink() as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri())
        outcome = run(warehouse, T0 + timedelta(hours=2), "q3")  # the next run tells what the failed one could not
        assert outcome["new_items"] == {"waste": 2, "open_ingress": 1, "k8s_unhealthy": 1, "cost_spike": 1}
        assert len(sink.messages) == 1
