"""Kubernetes: marts.k8s_unhealthy by cluster, through the API and the page."""
from __future__ import annotations

import pytest

from .support import HOSTILE_VALUES, TOO_LONG, assert_page_is_csp_clean, rows, warehouse_copy


def test_every_unhealthy_object_by_cluster(explorer, viewer, demo_warehouse):
    mart = rows(demo_warehouse, "select * from marts.k8s_unhealthy")
    body = explorer.get("/inventory/api/kubernetes", headers=viewer).json()
    assert body["total"] == len(mart) and body["truncated"] is False
    clusters = {c["cluster"]: c for c in body["clusters"]}
    assert set(clusters) == {r["cluster"] for r in rows(demo_warehouse, "select cluster from "
                                                        "intermediate.int_k8s__latest_dumps where is_configured")}
    for name, cluster in clusters.items():
        mine = [r for r in mart if r["cluster"] == name]
        assert cluster["total"] == len(mine) == len(cluster["objects"])
        assert cluster["problems"] == {p: sum(1 for r in mine if r["problem"] == p)
                                       for p in {r["problem"] for r in mine}}
        assert sorted((o["kind"], o["namespace"], o["name"], o["problem"]) for o in cluster["objects"]) == \
            sorted((r["kind"], r["namespace"], r["name"], r["problem"]) for r in mine)
    assert {p["problem"]: p["count"] for p in body["problems"]} == \
        {p: sum(1 for r in mart if r["problem"] == p) for p in {r["problem"] for r in mart}}
    # the demo: prod-eks's worker crash-loops on prod-app-2; stg-eks sent nothing on the last day: stale
    crashing = next(o for o in clusters["prod-eks"]["objects"] if o["problem"] == "crash_looping_pod")
    assert crashing["name"].startswith("worker-") and crashing["ec2_instance_name"] == "prod-app-2"
    assert crashing["resource_url"] == ("/inventory/resources/k8s_pod/111111111111/us-east-1/prod-eks/shop/"
                                        + crashing["name"])
    assert crashing["ec2_instance_url"] == f"/inventory/resources/ec2_instance/111111111111/us-east-1/" \
                                           f"{crashing['ec2_instance_id']}"
    assert clusters["stg-eks"]["is_stale"] is True and clusters["prod-eks"]["is_stale"] is False
    assert {o["is_stale"] for o in clusters["stg-eks"]["objects"]} == {True}
    assert [c["cluster"] for c in body["clusters"]] == ["prod-eks", "stg-eks"]  # the most problems first


@pytest.mark.parametrize("params", [{"problem": "crash_looping_pod"}, {"namespace": "data"}, {"cluster": "stg-eks"},
                                   {"cluster": "prod-eks", "namespace": "shop", "problem": "evicted_pod"}])
def test_kubernetes_filters_are_exact(explorer, viewer, demo_warehouse, params):
    sql = " and ".join(f"{name} = ?" for name in params)
    expected = rows(demo_warehouse, f"select cluster, name from marts.k8s_unhealthy where {sql}", list(params.values()))
    body = explorer.get("/inventory/api/kubernetes", params=params, headers=viewer).json()
    assert expected and body["total"] == len(expected)
    assert sorted((o["cluster"], o["name"]) for c in body["clusters"] for o in c["objects"]) == \
        sorted((r["cluster"], r["name"]) for r in expected)
    if "cluster" in params:
        assert [c["cluster"] for c in body["clusters"]] == [params["cluster"]]


def test_a_cluster_without_problems_is_listed_as_healthy(explorer, viewer):
    body = explorer.get("/inventory/api/kubernetes", params={"namespace": "data"}, headers=viewer).json()
    stg = next(c for c in body["clusters"] if c["cluster"] == "stg-eks")
    assert stg["total"] == 0 and stg["objects"] == []
    html = explorer.get("/inventory/kubernetes", params={"namespace": "data"}, headers=viewer).text
    assert "Nothing unhealthy with these filters." in html


def test_the_object_list_stops_at_the_limit(explorer, viewer, demo_warehouse):
    total = rows(demo_warehouse, "select count(*) as n from marts.k8s_unhealthy")[0]["n"]
    body = explorer.get("/inventory/api/kubernetes", params={"limit": 2}, headers=viewer).json()
    assert body["total"] == total and body["truncated"] is True
    assert sum(len(c["objects"]) for c in body["clusters"]) == 2 and sum(c["total"] for c in body["clusters"]) == total
    assert explorer.get("/inventory/api/kubernetes", params={"limit": 0}, headers=viewer).status_code == 422


@pytest.mark.parametrize("name", ["cluster", "namespace", "problem"])
def test_hostile_text_in_kubernetes_filters_matches_nothing(explorer, viewer, name):
    for value in HOSTILE_VALUES:
        body = explorer.get("/inventory/api/kubernetes", params={name: value}, headers=viewer).json()
        assert body["total"] == 0 and not [o for c in body["clusters"] for o in c["objects"]], (name, value)
        assert explorer.get("/inventory/kubernetes", params={name: value}, headers=viewer).status_code == 200
    assert explorer.get("/inventory/api/kubernetes", params={name: TOO_LONG}, headers=viewer).status_code == 422


def test_the_kubernetes_page(explorer, viewer, demo_warehouse):
    html = explorer.get("/inventory/kubernetes", headers=viewer).text
    assert_page_is_csp_clean(html)
    for r in rows(demo_warehouse, "select name, detail from marts.k8s_unhealthy"):
        assert f">{r['name']}</a>" in html
    assert "<strong>2</strong> crash-looping pods" in html
    assert '<span class="status status-stale">stale</span>' in html


def test_markup_in_kubernetes_data_is_shown_as_text(explorer, viewer, demo_warehouse, tmp_path, monkeypatch):
    hostile = warehouse_copy(demo_warehouse, tmp_path / "warehouse.duckdb",
                             "update marts.k8s_unhealthy set detail = '<script>alert(3)</script>', "
                             "namespace = '\"><b>ns</b>' where problem = 'evicted_pod'")
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(hostile))
    html = explorer.get("/inventory/kubernetes", headers=viewer).text
    assert "<script>alert(3)" not in html and "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert '"><b>ns</b>' not in html and "&#34;&gt;&lt;b&gt;ns&lt;/b&gt;" in html


def test_the_kubernetes_form_as_a_browser_submits_it(explorer, viewer, demo_warehouse):
    total = rows(demo_warehouse, "select count(*) as n from marts.k8s_unhealthy")[0]["n"]
    answer = explorer.get("/inventory/kubernetes", params={"cluster": "", "namespace": "", "problem": ""},
                          headers=viewer)
    assert answer.status_code == 200 and f"{total} unhealthy object(s)" in answer.text
