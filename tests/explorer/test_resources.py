"""Resources: counts by type and account, one table per type with its own columns, filters, sorting, paging and a
CSV of exactly what is filtered (all pages), through the real Airflow app with a viewer's login."""
from __future__ import annotations

import csv
import io

import duckdb
import pytest

from cloud_inventory.explorer import resources as area
from cloud_inventory.explorer.queries.resources import TYPE_COLUMNS
from cloud_inventory.plain import csv_cell

from .test_search import HOSTILE, instance, one, page_of, sql

ROUTES = ["/inventory/resources", "/inventory/resources?resource_type=ec2_instance", "/inventory/api/resources",
          "/inventory/api/resources?resource_type=ebs_volume", "/inventory/api/resources?format=csv",
          "/inventory/api/resources?resource_type=ebs_volume&format=csv", "/inventory/static/resources.css"]
PARAMETERS = ("resource_type", "account_id", "environment", "team", "region", "state", "tag", "q", "sort")


def get(client, headers, route="/inventory/api/resources", **params):
    answer = client.get(route, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def table(client, headers, **params) -> dict:
    return get(client, headers, **params).json()


def every_row(client, headers, page: int, **params) -> list[dict]:
    """All rows of a filtered table, `page` rows at a time."""
    rows, offset = [], 0
    while True:
        body = table(client, headers, limit=page, offset=offset, **params)
        rows += body["rows"]
        offset += page
        if offset >= body["total"]:
            assert len(rows) == body["total"]
            return rows


def csv_rows(client, headers, **params) -> tuple[list[str], list[list[str]], str]:
    answer = get(client, headers, format="csv", **params)
    assert answer.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.text)))
    return lines[0], lines[1:], answer.headers["content-disposition"]


def as_csv(value) -> str:
    return csv_cell(value)


# --- login ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_a_viewer_may_browse(explorer, viewer, route):
    assert explorer.get(route, headers=viewer).status_code == 200


# --- counts -----------------------------------------------------------------------------------------------------

def test_without_a_type_every_type_is_counted_by_account_with_its_stale_ones(explorer, viewer):
    body = table(explorer, viewer)
    expected = sql("""select resource_type, account_id, count(*) as resources, count(*) filter (where is_stale) as stale
                      from marts.inventory_current group by all order by all""")
    assert [{k: r[k] for k in ("resource_type", "account_id", "resources", "stale")} for r in body["rows"]] == expected
    assert body["total"] == len(expected)
    dev = next(r for r in body["rows"] if r["resource_type"] == "ec2_instance" and r["account_id"] == "333333333333")
    assert (dev["account_name"], dev["environment"], dev["stale"]) == ("dev", "dev", dev["resources"])  # dev failed


def test_the_counts_take_the_filters(explorer, viewer):
    body = table(explorer, viewer, environment="staging", tag="team=payments")
    expected = sql("""select resource_type, count(*) as n from marts.inventory_current
                      where environment = 'staging' and tags['team'] = 'payments' group by all order by all""")
    assert [(r["resource_type"], r["resources"]) for r in body["rows"]] == [(r["resource_type"], r["n"]) for r in expected]


def test_the_counts_page_links_each_type_and_account(explorer, viewer):
    page = get(explorer, viewer, "/inventory/resources").text
    assert 'href="/inventory/resources?resource_type=ec2_instance"' in page
    assert 'href="/inventory/resources?resource_type=ec2_instance&amp;account_id=111111111111"' in page
    assert 'href="/inventory/api/resources?format=csv"' in page and "stale" in page


# --- one type's table -------------------------------------------------------------------------------------------

def test_an_instance_row_has_the_fields_people_read(explorer, viewer):
    body = table(explorer, viewer, resource_type="ec2_instance", q="prod-web-1")
    assert body["columns"] == ["resource_id", "name", "account_id", "account_name", "environment", "team", "region",
                               "state", "instance_type", "private_ip", "public_ip", "subnet_id", "vpc_id",
                               "availability_zone", "platform", "launched_at", "created_at", "first_seen_date",
                               "is_stale"]
    web1 = instance("prod-web-1")
    staged = one("""select s.* from staging.stg_aws__ec2_instances s join marts.inventory_current c
                    using (resource_type, account_id, region, resource_id, snapshot_date) where c.name = 'prod-web-1'""")
    assert len(body["rows"]) == 1 and body["total"] == 1
    row = body["rows"][0]
    assert list(row) == body["columns"]
    assert {k: row[k] for k in ("resource_id", "name", "account_name", "environment", "region", "state",
                                "instance_type", "private_ip", "subnet_id", "availability_zone", "is_stale")} == {
        "resource_id": web1["resource_id"], "name": "prod-web-1", "account_name": "prod", "environment": "prod",
        "region": "us-east-1", "state": "running", "instance_type": "t3.medium",
        "private_ip": staged["private_ip_address"], "subnet_id": staged["subnet_id"],
        "availability_zone": "us-east-1a", "is_stale": False}
    assert row["launched_at"].endswith("+00:00")  # ISO 8601 in UTC


def test_a_volume_row_has_its_size_type_and_attachment(explorer, viewer):
    rows = table(explorer, viewer, resource_type="ebs_volume", q="prod-archive-2023")["rows"]
    assert [(r["size_gib"], r["volume_type"], r["state"], r["attached_to"]) for r in rows] == [(200, "gp2", "available", [])]
    attached = table(explorer, viewer, resource_type="ebs_volume", q="prod-web-1-vol")["rows"]
    assert [r["attached_to"] for r in attached] == [[instance("prod-web-1")["resource_id"]]]
    assert isinstance(attached[0]["size_gib"], int)  # numbers are numbers


@pytest.mark.parametrize("resource_type", sorted(TYPE_COLUMNS))
def test_every_declared_type_reads_its_typed_fields(explorer, viewer, resource_type):
    body = table(explorer, viewer, resource_type=resource_type, limit=1000)
    expected = one("select count(*) as n from marts.inventory_current where resource_type = ?", [resource_type])["n"]
    assert body["total"] == expected == len(body["rows"]) and expected > 0
    typed = [name for name, _ in TYPE_COLUMNS[resource_type].columns]
    # every row found its staging row (the current snapshot's): no row has all its typed fields empty
    assert [row["resource_id"] for row in body["rows"] if all(row[name] in (None, [], "") for name in typed)] == []


def test_a_type_not_declared_shows_the_common_columns(explorer, viewer):
    body = table(explorer, viewer, resource_type="k8s_unknownkind")
    assert body == {"total": 0, "columns": ["resource_id", "name", "cluster", "namespace", "account_id",
                                            "account_name", "environment", "team", "region", "state", "created_at",
                                            "first_seen_date", "is_stale"], "rows": []}


# --- filters ----------------------------------------------------------------------------------------------------

FILTERED = [
    ({"account_id": "222222222222"}, "account_id = '222222222222'"),
    ({"environment": "prod"}, "environment = 'prod'"),
    ({"team": "data"}, "team = 'data'"),
    ({"region": "eu-west-1"}, "region = 'eu-west-1'"),
    ({"state": "STOPPED"}, "state = 'stopped'"),
    ({"tag": "team=web"}, "tags['team'] = 'web'"),
    ({"tag": "Team = WEB"}, "tags['team'] = 'web'"),
    ({"tag": "ssmmanaged="}, "map_contains(tags, 'SSMManaged')"),
    ({"q": "WEB"}, "(resource_id ilike '%web%' or name ilike '%web%')"),
    ({"q": "i-"}, "resource_id ilike '%i-%' or name ilike '%i-%'"),
    ({"environment": "prod", "region": "us-east-1", "tag": "team=payments"},
     "environment = 'prod' and region = 'us-east-1' and tags['team'] = 'payments'"),
]


@pytest.mark.parametrize("params, where", FILTERED)
def test_each_filter_keeps_exactly_its_rows(explorer, viewer, params, where):
    expected = sql(f"select resource_id from marts.inventory_current where resource_type = 'ec2_instance' and ({where}) "
                   "order by account_id, region, resource_id")
    body = table(explorer, viewer, resource_type="ec2_instance", limit=1000, **params)
    assert [r["resource_id"] for r in body["rows"]] == [r["resource_id"] for r in expected]
    assert body["total"] == len(expected)


def test_the_filters_have_rows_to_keep_on_the_demo(explorer):
    assert all(sql(f"select 1 from marts.inventory_current where resource_type = 'ec2_instance' and ({where})")
               for _, where in FILTERED[:-3])


# --- sorting and paging -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sort", ["instance_type", "-instance_type", "launched_at", "-private_ip", "name", "-is_stale",
                                  "account_name"])
def test_sorting_by_a_shown_column(explorer, viewer, sort):
    rows = table(explorer, viewer, resource_type="ec2_instance", sort=sort, limit=1000)["rows"]
    column, descending = sort.removeprefix("-"), sort.startswith("-")
    values = [r[column] for r in rows if r[column] is not None]
    assert values == sorted(values, reverse=descending) and len(set(map(str, values))) > 1
    nulls = [i for i, r in enumerate(rows) if r[column] is None]
    assert nulls == list(range(len(rows) - len(nulls), len(rows)))  # nulls last either way


def test_pages_add_up_to_the_whole_table(explorer, viewer):
    whole = table(explorer, viewer, resource_type="ebs_volume", sort="-size_gib", limit=1000)
    assert every_row(explorer, viewer, 4, resource_type="ebs_volume", sort="-size_gib") == whole["rows"]
    past = table(explorer, viewer, resource_type="ebs_volume", offset=whole["total"] + 10)
    assert past == {"total": whole["total"], "columns": whole["columns"], "rows": []}


def test_the_page_has_sortable_headers_a_pager_and_the_csv_of_the_same_filters(explorer, viewer):
    page = get(explorer, viewer, "/inventory/resources", resource_type="ebs_volume", environment="prod",
               sort="size_gib", limit=3, offset=3).text
    here = "/inventory/resources?resource_type=ebs_volume&amp;environment=prod&amp;sort="
    assert f'href="{here}-size_gib&amp;limit=3"' in page  # its header sorts the other way
    assert 'aria-sort="ascending"' in page
    assert f'href="{here}size_gib&amp;limit=3&amp;offset=6"' in page  # next
    assert f'href="{here}size_gib&amp;limit=3"' in page  # previous
    assert ('href="/inventory/api/resources?resource_type=ebs_volume&amp;environment=prod&amp;sort=size_gib'
            '&amp;format=csv">Download CSV') in page
    volume = table(explorer, viewer, resource_type="ebs_volume", environment="prod", sort="size_gib", limit=3,
                   offset=3)["rows"][0]
    assert f'href="{page_of("ebs_volume", volume["account_id"], volume["region"], volume["resource_id"])}"' in page
    assert 'value="prod"' in page  # the form keeps the filters


def test_kubernetes_rows_link_to_their_own_pages(explorer, viewer):
    pods = table(explorer, viewer, resource_type="k8s_pod", q="redis-0")["rows"]
    assert {pod["cluster"] for pod in pods} == {"prod-eks", "stg-eks"}
    page = get(explorer, viewer, "/inventory/resources", resource_type="k8s_pod", q="redis-0").text
    for pod in pods:  # <cluster>/<namespace>/<name>, slashes kept
        assert pod["resource_id"].startswith(pod["cluster"] + "/")
        assert f'href="{page_of("k8s_pod", pod["account_id"], pod["region"], pod["resource_id"])}"' in page


# --- CSV --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [{"resource_type": "ec2_instance", "environment": "prod", "sort": "-launched_at"},
                                    {"resource_type": "ebs_volume", "tag": "team="},
                                    {"resource_type": "k8s_pod", "q": "web"}, {}])
def test_the_csv_is_every_filtered_row_the_json_pages_hold(explorer, viewer, monkeypatch, params):
    monkeypatch.setattr(area, "CSV_CHUNK", 2)  # many chunks, even on the demo
    header, rows, disposition = csv_rows(explorer, viewer, **params)
    if params:
        pages = every_row(explorer, viewer, 3, **params)
        assert header == table(explorer, viewer, **params)["columns"]
    else:
        pages = table(explorer, viewer)["rows"]
        assert header == list(pages[0])
    assert len(rows) == len(pages) > 2
    assert rows == [[as_csv(row[name]) for name in header] for row in pages]
    what = params.get("resource_type", "resource-types")
    assert disposition.startswith(f'attachment; filename="inventory-{what}-') and disposition.endswith('.csv"')


# --- hostile input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PARAMETERS)
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_in_every_parameter_is_a_value_or_refused(explorer, viewer, name, value):
    params = {"resource_type": "ec2_instance", name: value}
    answer = explorer.get("/inventory/api/resources", params=params, headers=viewer)
    if name == "sort" or (name == "tag" and "=" not in value):
        assert answer.status_code == 422 and name in answer.json()["detail"]
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rows"] == [] and body["total"] == 0
    assert explorer.get("/inventory/api/resources", params={**params, "format": "csv"}, headers=viewer).status_code == 200
    assert explorer.get("/inventory/resources", params=params, headers=viewer).status_code == 200
    assert one("select count(*) as n from marts.inventory_current")["n"] > 0


@pytest.mark.parametrize("name", PARAMETERS)
def test_513_characters_in_any_parameter_is_422(explorer, viewer, name):
    for route in ("/inventory/api/resources", "/inventory/resources"):
        answer = explorer.get(route, params={name: "a" * 513}, headers=viewer)
        assert answer.status_code == 422, (route, answer.text)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"offset": 10_000_001},
                                    {"limit": "ten"}, {"format": "xml"}, {"sort": "instance_type"},
                                    {"resource_type": "ec2_instance", "sort": "raw"},
                                    {"resource_type": "ec2_instance", "sort": "instance_type desc"},
                                    {"resource_type": "ec2_instance", "tag": "=web"}])
def test_bounds_and_allow_lists_are_422(explorer, viewer, params):
    answer = explorer.get("/inventory/api/resources", params=params, headers=viewer)
    assert answer.status_code == 422 and answer.json()["detail"]


# --- markup is text ---------------------------------------------------------------------------------------------

@pytest.fixture
def crafted(explorer, tmp_path, monkeypatch):
    """A warehouse with one resource of a type without declared columns, named and tagged with markup."""
    path = tmp_path / "crafted.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.inventory_current as select
            'crafted_thing' as resource_type, 'x/<b>1</b>' as resource_id, '<script>alert(1)</script>' as name,
            null::varchar as cluster, null::varchar as namespace, '111111111111' as account_id,
            '<i>prod</i>' as account_name, 'prod' as environment, 'web' as team, 'us-east-1' as region,
            '"><img src=x onerror=alert(2)>' as state, map {'team': '<svg onload=alert(3)>'} as tags,
            null::timestamptz as created_at, current_date as first_seen_date, current_date as snapshot_date,
            false as is_stale""")
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(path))
    return path


def test_markup_in_names_and_tags_is_shown_as_text(crafted, explorer, viewer):
    table_page = get(explorer, viewer, "/inventory/resources", resource_type="crafted_thing").text
    counts_page = get(explorer, viewer, "/inventory/resources", tag="team=<svg onload=alert(3)>").text
    for page in (table_page, counts_page):
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<i>prod</i>" not in page
        assert "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table_page and "&lt;img src=x onerror=alert(2)&gt;" in table_page
    assert "x/%3Cb%3E1%3C/b%3E" in table_page  # the id in the link is url-encoded (its slashes kept)
    assert "&lt;i&gt;prod&lt;/i&gt;" in counts_page and "&lt;svg onload=alert(3)&gt;" in counts_page
