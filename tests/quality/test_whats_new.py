"""What is new since the previous digest, on crafted warehouses: the first digest is a baseline, then exactly the
items that appeared; facts that change do not make an item new; an item that went away and came back is new;
marts.cost_spikes (the shared schema) is read only when it exists, and the first time as its own baseline;
the state survives a full refresh of the warehouse."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from cloud_inventory import settings as inventory_settings
from cloud_inventory.quality import whats_new
from cloud_inventory.warehouse.runner import amend, build

from .crafted import Crafted, open_rule, source, spike, unhealthy, waste

T0 = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    crafted = Crafted(tmp_path / "warehouse.duckdb")
    crafted.put("marts.waste", [waste("vol-old", 40.0), waste("i-stopped", None, category="stopped_instance")])
    crafted.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web")])
    crafted.put("marts.k8s_unhealthy", [unhealthy("worker-7d9f-abcde")])
    crafted.put("marts.cost_spikes", [spike("/aws/lambda/old", date(2026, 11, 10))])
    crafted.put("marts.source_freshness", [])
    return crafted


def digest(crafted: Crafted, at: datetime, run_id: str = "q") -> whats_new.WhatsNew:
    """Collect what is new and record it as a sent digest (as send_digest does after sending)."""
    with duckdb.connect(str(crafted.path), read_only=True) as con:
        found = whats_new.collect(con, at)
    amend(inventory_settings.load(), whats_new.recorder(found, run_id, "quality", True, "subject"))
    return found


def keys(found: whats_new.WhatsNew) -> dict[str, list]:
    names = {"open_ingress": "security_group_id", "source": "source"}
    return {kind: sorted(row[names.get(kind, "resource_id")] for row in rows)
            for kind, rows in found.new.items() if rows}


def test_the_first_digest_is_a_baseline_then_only_what_appeared_is_new(warehouse):
    first = digest(warehouse, T0)
    assert first.baseline and first.new_items == 0 and first.current_items == 5
    assert sorted(first.baselined) == sorted(k.name for k in whats_new.KINDS)

    warehouse.put("marts.waste", [waste("vol-old", 40.0), waste("i-stopped", None, category="stopped_instance"),
                                  waste("vol-new", 24.0), waste("db-idle", None, category="idle_rds_instance")])
    warehouse.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web"),
                                                        open_rule("sg-app", "22")])
    warehouse.put("marts.k8s_unhealthy", [unhealthy("worker-7d9f-abcde"),
                                          unhealthy("debug-shell", "image_pull_failing_pod", namespace="data")])
    warehouse.put("marts.cost_spikes", [spike("/aws/lambda/old", date(2026, 11, 10)),
                                        spike("/aws/containerinsights/prod-eks/application", date(2026, 11, 20),
                                              cluster="prod-eks")])
    warehouse.put("marts.source_freshness", [source("222222222222", "vpc", since=T0 + timedelta(minutes=50))])
    second = digest(warehouse, T0 + timedelta(hours=1))
    assert not second.baseline and second.baselined == []
    assert keys(second) == {"waste": ["db-idle", "vol-new"], "open_ingress": ["sg-app"],
                            "k8s_unhealthy": ["prod-eks/data/debug-shell"],
                            "cost_spike": ["/aws/containerinsights/prod-eks/application"],
                            "source": ["222222222222/us-east-1/vpc"]}
    assert second.waste_totals() == (24, 1)  # dollars of the priced new waste, and how many have no price
    assert second.summary(("waste", "open_ingress")) == "2 waste findings ($24.00/month, 1 unpriced), 1 open rule"

    third = digest(warehouse, T0 + timedelta(hours=2))  # nothing changed since
    assert third.new_items == 0 and third.current_items == 11


def test_facts_that_change_do_not_make_an_item_new(warehouse):
    digest(warehouse, T0)
    warehouse.put("marts.waste", [waste("vol-old", 55.0, detail="now 500 GiB"),
                                  {**waste("i-stopped", None, category="stopped_instance"), "is_stale": True}])
    warehouse.put("marts.k8s_unhealthy", [unhealthy("worker-7d9f-abcde", detail="CrashLoopBackOff: 40 restarts")])
    warehouse.put("marts.security_group_open_ingress", [{**open_rule("sg-web", "443", name="prod-web"),
                                                         "instance_count": 9, "rule_description": "edited"}])
    # the same source still failing, another error text: not new; the same source now stale: new
    warehouse.put("marts.source_freshness", [])
    assert digest(warehouse, T0 + timedelta(hours=1)).new_items == 0
    warehouse.put("marts.source_freshness", [source("222222222222", "vpc", since=T0)])
    assert keys(digest(warehouse, T0 + timedelta(hours=2))) == {"source": ["222222222222/us-east-1/vpc"]}
    warehouse.put("marts.source_freshness", [source("222222222222", "vpc", since=T0, error="Throttling: slow")])
    assert digest(warehouse, T0 + timedelta(hours=3)).new_items == 0
    warehouse.put("marts.source_freshness", [source("222222222222", "vpc", "stale", since=T0, error=None)])
    assert keys(digest(warehouse, T0 + timedelta(hours=4))) == {"source": ["222222222222/us-east-1/vpc"]}


def test_an_item_gone_at_a_digest_and_back_later_is_new_again(warehouse):
    digest(warehouse, T0)
    warehouse.put("marts.security_group_open_ingress", [])  # someone closed the rule
    assert digest(warehouse, T0 + timedelta(hours=1)).new_items == 0
    warehouse.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web")])  # reopened
    assert keys(digest(warehouse, T0 + timedelta(hours=2))) == {"open_ingress": ["sg-web"]}


def test_an_item_kept_remembers_when_it_was_first_reported(warehouse):
    digest(warehouse, T0, run_id="q1")
    warehouse.put("marts.waste", [waste("vol-old", 40.0), waste("vol-new", 24.0)])
    digest(warehouse, T0 + timedelta(hours=1), run_id="q2")
    rows = dict(warehouse.query("select item_key, first_reported_at from dq.digest_items where kind = 'waste'"))
    assert rows == {'["unattached_volume", "111111111111", "us-east-1", "vol-old"]': T0,
                    '["unattached_volume", "111111111111", "us-east-1", "vol-new"]': T0 + timedelta(hours=1)}
    assert warehouse.query("select run_id, baseline, current_items, new_items from dq.digests order by digest_at") \
        == [("q1", True, 5, 0), ("q2", False, 5, 1)]


def test_cost_spikes_not_built_is_skipped_and_its_first_read_is_its_own_baseline(warehouse):
    warehouse.without("marts.cost_spikes")
    first = digest(warehouse, T0)
    assert first.skipped == {"cost_spike": "marts.cost_spikes is not built"} and "cost_spike" not in first.current
    warehouse.put("marts.waste", [waste("vol-old", 40.0), waste("i-stopped", None, category="stopped_instance"),
                                  waste("vol-new", 24.0)])
    # the spikes mart is built for the first time: its rows (history) are recorded, not listed; the rest as usual
    warehouse.put("marts.cost_spikes", [spike("/aws/lambda/old", date(2026, 11, 10)),
                                        spike("Amazon CloudWatch", date(2026, 11, 19), kind="service_spend")])
    second = digest(warehouse, T0 + timedelta(hours=1))
    assert second.baselined == ["cost_spike"] and keys(second) == {"waste": ["vol-new"]}
    warehouse.put("marts.cost_spikes", [spike("/aws/lambda/old", date(2026, 11, 10)),
                                        spike("Amazon CloudWatch", date(2026, 11, 19), kind="service_spend"),
                                        spike("Amazon CloudWatch", date(2026, 11, 20), 900, kind="service_spend")])
    third = digest(warehouse, T0 + timedelta(hours=2))
    assert [(r["resource_id"], r["spike_date"]) for r in third.new["cost_spike"]] == [
        ("Amazon CloudWatch", date(2026, 11, 20))]
    # a mart that is gone again keeps what was remembered of it
    warehouse.without("marts.cost_spikes")
    digest(warehouse, T0 + timedelta(hours=3))
    assert warehouse.query("select count(*) from dq.digest_items where kind = 'cost_spike'") == [(3,)]


def test_the_state_survives_a_full_refresh_of_the_warehouse(warehouse, tmp_path):
    digest(warehouse, T0)
    sql = tmp_path / "sql"
    for layer in ("staging", "intermediate", "marts"):
        (sql / layer).mkdir(parents=True)
    build(inventory_settings.load(), sql_dir=sql, full_refresh=True)  # a new file: models only, dq carried over
    assert warehouse.query("select count(*) from duckdb_tables() where schema_name = 'marts'") == [(0,)]
    assert warehouse.query("select count(*) from dq.digest_items") == [(5,)]
    rebuilt = Crafted(warehouse.path)  # the marts again, as the models would make them
    rebuilt.put("marts.waste", [waste("vol-old", 40.0), waste("i-stopped", None, category="stopped_instance"),
                                waste("vol-new", 24.0)])
    rebuilt.put("marts.security_group_open_ingress", [open_rule("sg-web", "443", name="prod-web")])
    rebuilt.put("marts.k8s_unhealthy", [unhealthy("worker-7d9f-abcde")])
    rebuilt.put("marts.cost_spikes", [spike("/aws/lambda/old", date(2026, 11, 10))])
    found = digest(rebuilt, T0 + timedelta(hours=1))
    assert not found.baseline and keys(found) == {"waste": ["vol-new"]}


def test_item_keys_name_the_thing_not_its_facts():
    kind = whats_new.BY_NAME["k8s_unhealthy"]
    assert whats_new.item_key(kind, unhealthy("a", detail="1 restart")) == \
        whats_new.item_key(kind, unhealthy("a", detail="9 restarts"))
    assert whats_new.item_key(kind, unhealthy("a")) != whats_new.item_key(kind, unhealthy("a", "evicted_pod"))
    spikes = whats_new.BY_NAME["cost_spike"]
    assert whats_new.item_key(spikes, spike("g", date(2026, 11, 20))) != \
        whats_new.item_key(spikes, spike("g", date(2026, 11, 21)))  # each day of a blow-up is its own spike
