"""Freshness of every source with its last problem's Airflow run and task, and the Great Expectations Data Docs
served behind the login from their folder only."""
from __future__ import annotations

from urllib.parse import quote

import duckdb
import pytest

from cloud_inventory.explorer.freshness import DATA_DOCS_CSP, data_docs_file

from .support import HOSTILE_VALUES, TOO_LONG, assert_page_is_csp_clean, rows, warehouse_copy

SEVERITY = {"failing": 0, "never": 1, "stale": 2, "fresh": 3}


# --- freshness ----------------------------------------------------------------------------------------------------

def test_every_source_with_its_status_the_worst_first(explorer, viewer, demo_warehouse):
    mart = {r["source"]: r for r in rows(demo_warehouse, "select * from marts.source_freshness")}
    body = explorer.get("/inventory/api/freshness", params={"limit": 1000}, headers=viewer).json()
    assert body["total"] == len(mart) == len(body["sources"])
    assert body["counts"] == {status: sum(1 for r in mart.values() if r["status"] == status) for status in SEVERITY}
    assert body["counts"]["failing"] and body["counts"]["stale"] and body["counts"]["fresh"]  # the demo has each
    ranks = [SEVERITY[s["status"]] for s in body["sources"]]
    assert ranks == sorted(ranks)
    for source in body["sources"]:
        expected = mart[source["source"]]
        assert (source["status"], source["account_id"], source["region"], source["resource_type"], source["cluster"],
                source["threshold_minutes"], source["last_error"]) == \
            (expected["status"], expected["account_id"], expected["region"], expected["resource_type"],
             expected["cluster"], expected["threshold_minutes"], expected["last_error"])
        success = expected["last_success_at"]
        assert source["last_success_at"] == (None if success is None else
                                             success.isoformat().replace("+00:00", "Z"))
    stg = next(s for s in body["sources"] if s["cluster"] == "stg-eks")  # its bastion went silent on the last day
    assert stg["status"] == "stale" and stg["last_problem"] is None
    pages = [explorer.get("/inventory/api/freshness", params={"limit": 60, "offset": offset}, headers=viewer).json()
             for offset in range(0, body["total"], 60)]
    assert [s["source"] for page in pages for s in page["sources"]] == [s["source"] for s in body["sources"]]


def test_a_failing_source_links_to_the_run_and_task_that_recorded_its_failure(explorer, viewer, demo_warehouse):
    problems = {(r["account_id"], r["region"], r["resource_type"]): r for r in rows(demo_warehouse, """
        select account_id, region, resource_type, arg_max(run_id, finished_at) as run_id,
               arg_max(status, finished_at) as status, max(finished_at) as at,
               arg_max(account_name, finished_at) as name
        from staging.stg_manifest__aws_runs where status <> 'ok' group by all""")}
    body = explorer.get("/inventory/api/freshness", params={"limit": 1000, "source_kind": "aws"}, headers=viewer).json()
    assert body["total"] == sum(1 for _ in rows(demo_warehouse, "select 1 from marts.source_freshness "
                                                                "where source_kind = 'aws'"))
    assert problems and {s["source_kind"] for s in body["sources"]} == {"aws"}
    for source in body["sources"]:
        expected = problems.get((source["account_id"], source["region"], source["resource_type"]))
        problem = source["last_problem"]
        if expected is None:
            assert problem is None, source
            continue
        run = quote(expected["run_id"], safe="")
        assert problem == {
            "status": expected["status"], "at": expected["at"].isoformat().replace("+00:00", "Z"),
            "error": problem["error"], "dump_key": None, "run_id": expected["run_id"], "dag_id": "aws_inventory",
            "task_id": "extract", "map_index": None,
            "task_label": f"{expected['name']} {source['account_id']}",
            "run_url": f"/dags/aws_inventory/runs/{run}",
            "task_url": f"/dags/aws_inventory/runs/{run}/tasks/extract/mapped"}
        assert problem["error"]
    # the demo: dev (333333333333) could not be assumed on the last day, so every dev source is failing
    dev = [s for s in body["sources"] if s["account_id"] == "333333333333" and s["region"] == "eu-west-1"]
    assert dev and {s["last_problem"]["task_label"] for s in dev} == {"dev 333333333333"}
    assert {s["last_problem"]["status"] for s in dev if s["status"] == "failing"} == {"failed"}


@pytest.fixture(scope="module")
def recorded_problems(demo_warehouse, tmp_path_factory):
    """The demo warehouse with a dump of prod-eks that failed in a scheduled run (an Airflow run id with ':' and
    '+'), and a quality run recorded in the dq tables."""
    target = tmp_path_factory.mktemp("freshness-problems") / "warehouse.duckdb"
    return warehouse_copy(demo_warehouse, target, """
        insert into staging.stg_manifest__k8s_dumps by name
        select 'dumps/cluster=prod-eks/dt=2026-12-07/20261207T000000Z.json.gz' as dump_key, 'prod-eks' as cluster,
               '111111111111' as account_id, 'us-east-1' as region, 'failed' as status,
               'DumpUnreadable' as error_class, 'not gzip <b>at all</b>' as error_message,
               'scheduled__2026-12-07T00:15:00+00:00' as run_id, 3 as attempts,
               timestamptz '2026-12-07 00:15:00+00' as started_at,
               timestamptz '2026-12-07 00:16:00+00' as finished_at""",
        "create schema if not exists dq",
        """create table dq.runs as select 'scheduled__2026-12-07T06:00:00+00:00' as run_id,
               timestamptz '2026-12-07 06:01:00+00' as checked_at, null::timestamptz as previous_checked_at,
               12 as checks, 1 as failed_checks, 170 as sources, 57 as sources_not_fresh, '/somewhere' as data_docs""",
        """create table dq.check_results as
           select 'scheduled__2026-12-07T06:00:00+00:00' as run_id, timestamptz '2026-12-07 06:01:00+00' as checked_at,
                  check_name, table_name, status, '1' as observed_value, null as details from (values
               ('expect_a', 'marts.waste', 'fail'), ('expect_b', 'marts.waste', 'pass'),
               ('source_freshness', 'marts.source_freshness', 'fail')) as t(check_name, table_name, status)""")


def test_a_failed_dump_links_to_the_ingest_task_of_its_run(explorer, viewer, recorded_problems, monkeypatch):
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(recorded_problems))
    body = explorer.get("/inventory/api/freshness", params={"cluster": "prod-eks"}, headers=viewer).json()
    assert [s["source"] for s in body["sources"]] == ["cluster/prod-eks"]
    problem = body["sources"][0]["last_problem"]
    run = "scheduled__2026-12-07T00%3A15%3A00%2B00%3A00"
    assert problem == {
        "status": "failed", "at": "2026-12-07T00:16:00Z", "error": "DumpUnreadable: not gzip <b>at all</b>",
        "dump_key": "dumps/cluster=prod-eks/dt=2026-12-07/20261207T000000Z.json.gz",
        "run_id": "scheduled__2026-12-07T00:15:00+00:00", "dag_id": "k8s_inventory", "task_id": "ingest",
        "map_index": None, "task_label": "prod-eks (111111111111 us-east-1)",
        "run_url": f"/dags/k8s_inventory/runs/{run}", "task_url": f"/dags/k8s_inventory/runs/{run}/tasks/ingest/mapped"}
    html = explorer.get("/inventory/freshness", params={"cluster": "prod-eks"}, headers=viewer).text
    assert f'<a href="/dags/k8s_inventory/runs/{run}/tasks/ingest/mapped">ingest in k8s_inventory</a>' in html
    assert "labelled <q>prod-eks (111111111111 us-east-1)</q>" in html
    assert "not gzip &lt;b&gt;at all&lt;/b&gt;" in html and "<b>at all</b>" not in html


def test_the_latest_quality_run_is_reported(explorer, viewer, recorded_problems, demo_warehouse, monkeypatch):
    assert explorer.get("/inventory/api/freshness", params={"limit": 1}, headers=viewer).json()["quality"] is None
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(recorded_problems))
    quality = explorer.get("/inventory/api/freshness", params={"limit": 1}, headers=viewer).json()["quality"]
    assert quality == {"run_id": "scheduled__2026-12-07T06:00:00+00:00", "checked_at": "2026-12-07T06:01:00Z",
                       "checks": 12, "failed_checks": 1, "sources": 170, "sources_not_fresh": 57,
                       "tables": [{"table_name": "marts.waste", "checks": 2, "failed_checks": 1}],
                       "run_url": "/dags/inventory_quality/runs/scheduled__2026-12-07T06%3A00%3A00%2B00%3A00"}


@pytest.mark.parametrize("name, value", [("status", "bogus"), ("status", "FRESH"), ("status", "fresh'--"),
                                         ("source_kind", "gcp"), ("limit", "1001"), ("offset", "-1")])
def test_freshness_allow_lists_and_bounds(explorer, viewer, name, value):
    answer = explorer.get("/inventory/api/freshness", params={name: value}, headers=viewer)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", name]


@pytest.mark.parametrize("name", ["account_id", "region", "resource_type", "cluster"])
def test_hostile_text_in_freshness_filters_matches_nothing(explorer, viewer, name):
    for value in HOSTILE_VALUES:
        body = explorer.get("/inventory/api/freshness", params={name: value}, headers=viewer).json()
        assert body["total"] == 0 and body["sources"] == [], (name, value)
        assert explorer.get("/inventory/freshness", params={name: value}, headers=viewer).status_code == 200
    assert explorer.get("/inventory/api/freshness", params={name: TOO_LONG}, headers=viewer).status_code == 422


def test_the_freshness_page(explorer, viewer, demo_warehouse):
    counts = {r["status"]: r["n"] for r in rows(demo_warehouse, "select status, count(*) as n "
                                                                "from marts.source_freshness group by status")}
    html = explorer.get("/inventory/freshness", headers=viewer).text
    assert_page_is_csp_clean(html)
    for status, n in counts.items():
        assert f'<span class="status status-{status}">{status}</span> {n}</li>' in html
    assert "tasks/extract/mapped" in html and "the instance labelled <q>dev 333333333333</q>" in html


def test_the_freshness_page_says_what_is_wrong_in_short_first(explorer, viewer, demo_warehouse):
    """dev's role denied makes dozens of its sources fail with one error: one line per status, account, region and
    error above the table, each with how many sources it stands for."""
    groups = rows(demo_warehouse, "select status, account_id, region, count(*) as n from marts.source_freshness "
                                  "where status <> 'fresh' group by status, account_id, region, last_error, "
                                  "cluster is not null")
    html = explorer.get("/inventory/freshness", headers=viewer).text
    short, every = html.split("<h2>Every source</h2>")
    assert f"<h2>In short: {len(groups)} problem(s) on this page</h2>" in short
    assert short.count("<tr>") == len(groups) + 1  # the header row and one per group
    failing_us = next(g for g in groups if g["status"] == "failing" and g["region"] == "us-east-1")
    assert failing_us["n"] > 1 and f"<td>{failing_us['n']}: <small>" in short
    assert "AssumeRole.AccessDenied" in short and every.count("<tr>") > short.count("<tr>")


# --- the Data Docs ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data_docs(demo_warehouse, tmp_path_factory):
    """Real Data Docs: Great Expectations run on the demo's marts.waste (alone, to keep it quick) into the folder
    inventory_quality uses under a data dir; a secret beside the folder, and ways out of it planted inside."""
    from cloud_inventory.quality.expectations import run_expectations

    root = tmp_path_factory.mktemp("data-docs")
    waste_only = root / "waste-only.duckdb"
    with duckdb.connect(str(waste_only)) as con:
        con.execute("attach ? as demo (read_only)", [str(demo_warehouse)])
        con.execute("create schema marts; create table marts.waste as select * from demo.marts.waste")
    docs = root / "data" / "quality" / "data_docs"
    run_expectations(waste_only, docs, "scheduled__2026-12-07T00:00:00+00:00")
    (root / "data" / "secret.txt").write_text("SECRET-OUTSIDE-DATA")
    (root / "data" / "quality" / "secret.txt").write_text("SECRET-OUTSIDE-QUALITY")
    (docs / "leak.html").symlink_to(root / "data" / "quality" / "secret.txt")
    (docs / "static" / "out").symlink_to(root / "data", target_is_directory=True)
    (docs / ".hidden.html").write_text("SECRET-HIDDEN")
    return {"data_dir": root / "data", "docs": docs, "secret": root / "data" / "secret.txt"}


@pytest.fixture
def with_docs(explorer, data_docs, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(data_docs["data_dir"]))
    return explorer


def test_the_data_docs_index_lists_the_validation_and_suite_pages(with_docs, viewer, data_docs):
    page = with_docs.get("/inventory/data-docs/", headers=viewer)
    assert page.status_code == 200
    html = page.text
    assert_page_is_csp_clean(html)
    validation = next(data_docs["docs"].glob("validations/marts/waste/*/*/*.html")).relative_to(data_docs["docs"])
    assert f'<a href="/inventory/data-docs/{quote(validation.as_posix())}">' in html
    assert '<a href="/inventory/data-docs/expectations/marts/waste.html">suite</a>' in html
    assert with_docs.get("/inventory/data-docs", headers=viewer).text == html
    assert "/inventory/data-docs/" in with_docs.get("/inventory/freshness", headers=viewer).text
    assert with_docs.get("/inventory/api/freshness", params={"limit": 1},
                         headers=viewer).json()["data_docs"] == {"url": "/inventory/data-docs/", "built": True}


def test_data_docs_pages_are_served_with_their_own_csp(with_docs, viewer, data_docs):
    validation = next(data_docs["docs"].glob("validations/marts/waste/*/*/*.html")).relative_to(data_docs["docs"])
    for path in ("index.html", validation.as_posix(), "expectations/marts/waste.html"):
        answer = with_docs.get(f"/inventory/data-docs/{path}", headers=viewer)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["content-security-policy"] == DATA_DOCS_CSP
        original = (data_docs["docs"] / path).read_text()
        # GE's pages load their scripts and styles from CDNs: the CSP names no other origin, so nothing loads
        assert '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>' in original
        assert "https:" not in DATA_DOCS_CSP and "http:" not in DATA_DOCS_CSP
        assert "script-src 'none'" in DATA_DOCS_CSP and "connect-src 'none'" in DATA_DOCS_CSP
        # the page as GE wrote it, with the explorer's offline stand-in for the CDN's icons linked in its head
        sheet = '<link rel="stylesheet" href="/inventory/static/data-docs.css">'
        assert answer.text == original.replace("</head>", sheet + "</head>", 1)
    assert "Expectation Validation Result" in with_docs.get(f"/inventory/data-docs/{validation.as_posix()}",
                                                            headers=viewer).text
    assert with_docs.get("/inventory/static/data-docs.css", headers=viewer).status_code == 200
    icon = with_docs.get("/inventory/data-docs/static/images/favicon.ico", headers=viewer)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content == (data_docs["docs"] / "static" / "images" / "favicon.ico").read_bytes()
    assert icon.headers["content-security-policy"] == DATA_DOCS_CSP


TRAVERSALS = [
    "%2e%2e/secret.txt", "..%2fsecret.txt", "%2e%2e%2f%2e%2e%2fsecret.txt", "static/%2e%2e/%2e%2e/secret.txt",
    "%2E%2E/%2E%2E/secret.txt", "%252e%252e%252fsecret.txt", "..%5csecret.txt", "leak.html",
    "static/out/secret.txt", "static/out/quality/secret.txt", ".hidden.html", "validations", "static/", "nope.html",
    "index.html%00.png", "a" * 2000,
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_data_docs_folder_is_served(with_docs, viewer, path):
    answer = with_docs.get(f"/inventory/data-docs/{path}", headers=viewer)
    assert answer.status_code == 404, answer.text[:200]
    assert answer.json() == {"detail": "no such file in the Data Docs"}


def test_an_absolute_path_is_refused(with_docs, viewer, data_docs):
    secret = data_docs["secret"].as_posix()
    for path in (f"/{secret}", quote(secret, safe=""), f"/{quote(secret, safe='')}", "//etc/passwd"):
        answer = with_docs.get(f"/inventory/data-docs/{path}", headers=viewer)
        assert answer.status_code == 404 and "SECRET" not in answer.text, path


def test_the_file_check_itself(data_docs):
    docs = data_docs["docs"]
    assert data_docs_file(docs, "index.html") == (docs / "index.html").resolve()
    for path in ("../secret.txt", "../../secret.txt", "static/../../secret.txt", "static/images/../../../secret.txt",
                 str(data_docs["secret"]), "leak.html", "static/out/secret.txt", ".hidden.html", "", "static",
                 "index.html\x00", "\\secret.txt"):
        assert data_docs_file(docs, path) is None, path
    assert data_docs_file(docs, "static/images/../../index.html") is None  # no '..' at all, even staying inside


def test_without_data_docs_the_index_says_so(explorer, viewer, tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    html = explorer.get("/inventory/data-docs/", headers=viewer).text
    assert "No Data Docs yet" in html
    assert explorer.get("/inventory/data-docs/index.html", headers=viewer).status_code == 404
    assert explorer.get("/inventory/api/freshness", params={"limit": 1},
                        headers=viewer).json()["data_docs"]["built"] is False


def test_the_freshness_form_as_a_browser_submits_it(explorer, viewer, demo_warehouse):
    total = rows(demo_warehouse, "select count(*) as n from marts.source_freshness")[0]["n"]
    form = {"status": "", "source_kind": "", "account_id": "", "region": "", "resource_type": "", "cluster": ""}
    answer = explorer.get("/inventory/freshness", params=form, headers=viewer)
    assert answer.status_code == 200 and f"{total} source(s)" in answer.text
    assert explorer.get("/inventory/api/freshness", params=form, headers=viewer).json()["total"] == total
    stale = explorer.get("/inventory/freshness", params={**form, "status": "stale"}, headers=viewer).text
    assert '<option value="stale" selected>stale</option>' in stale
