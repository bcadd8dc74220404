"""Waste: the API and page add up exactly what marts.waste and marts.waste_summary hold, filtered alike, with CSV."""
from __future__ import annotations

import re

import pytest

from .support import HOSTILE_VALUES, TOO_LONG, assert_page_is_csp_clean, csv_records, rows, warehouse_copy

FILTERS = ("account_id", "team", "environment", "category", "region")
GROUP_COLUMNS = {"account": "account_id", "team": "team", "environment": "environment", "category": "category",
                 "region": "region"}


def test_the_totals_are_the_summary_marts(explorer, viewer, demo_warehouse):
    grand = rows(demo_warehouse, "select * from marts.waste_summary where row_kind = 'grand_total'")[0]
    body = explorer.get("/inventory/api/waste", headers=viewer).json()
    assert body["total"] == {"findings": grand["resources"], "priced_findings": grand["priced_resources"],
                             "unpriced_findings": grand["unpriced_resources"],
                             "stale_findings": grand["stale_resources"], "monthly_usd": grand["est_monthly_usd"],
                             "annual_usd": grand["est_annual_usd"]}
    assert isinstance(body["total"]["monthly_usd"], float) and body["total"]["monthly_usd"] > 0
    assert body["as_of_date"] == grand["as_of_date"].isoformat()
    per_account = rows(demo_warehouse, "select * from marts.waste_summary where row_kind = 'account_total'")
    assert {g["key"]: (g["label"], g["findings"], g["unpriced_findings"], g["monthly_usd"], g["annual_usd"])
            for g in body["groups"]} == {
        r["account_id"]: (r["account_name"], r["resources"], r["unpriced_resources"], r["est_monthly_usd"],
                          r["est_annual_usd"]) for r in per_account}
    assert [g["monthly_usd"] for g in body["groups"]] == sorted((g["monthly_usd"] for g in body["groups"]),
                                                                reverse=True)


def test_by_category_is_the_summarys_category_totals(explorer, viewer, demo_warehouse):
    body = explorer.get("/inventory/api/waste", params={"group_by": "category"}, headers=viewer).json()
    per_category = rows(demo_warehouse, "select * from marts.waste_summary where row_kind = 'category_total'")
    assert {g["key"]: (g["findings"], g["monthly_usd"], g["annual_usd"]) for g in body["groups"]} == {
        r["category"]: (r["resources"], r["est_monthly_usd"], r["est_annual_usd"]) for r in per_category}


@pytest.mark.parametrize("group_by", ["team", "environment", "region"])
def test_every_other_dimension_adds_up_the_findings(explorer, viewer, demo_warehouse, group_by):
    column = GROUP_COLUMNS[group_by]
    expected = rows(demo_warehouse, f"""
        select {column} as key, count(*) as findings, sum(est_monthly_usd) as monthly_usd
        from marts.waste group by {column}""")
    body = explorer.get("/inventory/api/waste", params={"group_by": group_by}, headers=viewer).json()
    assert {g["key"]: (g["findings"], g["monthly_usd"]) for g in body["groups"]} == {
        r["key"]: (r["findings"], r["monthly_usd"]) for r in expected}
    assert len(expected) > 1
    assert round(sum(g["monthly_usd"] for g in body["groups"]), 2) == body["total"]["monthly_usd"]


@pytest.mark.parametrize("group_by", ["owner", "ACCOUNT", "account_id", "account;drop table x", "", "account'--"])
def test_group_by_is_one_of_five_names(explorer, viewer, group_by):
    answer = explorer.get("/inventory/api/waste", params={"group_by": group_by}, headers=viewer)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "group_by"]
    assert explorer.get("/inventory/waste", params={"group_by": group_by}, headers=viewer).status_code == 422


@pytest.mark.parametrize("name", ["format", "limit", "offset"])
def test_other_parameters_are_bounded(explorer, viewer, name):
    for value in ("xml", "-1", "0" if name == "limit" else "100000000", "1;"):
        answer = explorer.get("/inventory/api/waste", params={name: value}, headers=viewer)
        assert answer.status_code == 422, (name, value)
        assert answer.json()["detail"][0]["loc"] == ["query", name]


def test_filters_apply_to_totals_groups_and_findings(explorer, viewer, demo_warehouse):
    expected = rows(demo_warehouse, "select count(*) as n, sum(est_monthly_usd) as usd from marts.waste "
                                    "where environment = 'staging'")[0]
    findings = rows(demo_warehouse, """select resource_id from marts.waste
                                       where environment = 'staging' and category = 'idle_instance'""")
    body = explorer.get("/inventory/api/waste", params={"environment": "staging", "group_by": "category"},
                        headers=viewer).json()
    assert body["filters"]["environment"] == "staging"
    assert body["total"]["findings"] == sum(g["findings"] for g in body["groups"]) == body["findings_total"] \
        == expected["n"]
    assert body["total"]["monthly_usd"] == round(expected["usd"], 2)
    assert {f["environment"] for f in body["findings"]} == {"staging"}
    both = explorer.get("/inventory/api/waste", params={"environment": "staging", "category": "idle_instance"},
                        headers=viewer).json()
    assert [f["resource_id"] for f in both["findings"]] == [f["resource_id"] for f in findings]
    assert explorer.get("/inventory/api/waste", params={"environment": ""}, headers=viewer).json()["total"] == \
        explorer.get("/inventory/api/waste", headers=viewer).json()["total"]  # an empty filter is no filter


@pytest.mark.parametrize("name", FILTERS)
def test_hostile_text_in_every_filter_matches_nothing(explorer, viewer, name):
    for value in HOSTILE_VALUES:
        answer = explorer.get("/inventory/api/waste", params={name: value}, headers=viewer)
        assert answer.status_code == 200, (name, value, answer.text)
        body = answer.json()
        assert body["filters"][name] == value
        assert body["total"]["findings"] == 0 and body["total"]["monthly_usd"] == 0 and body["findings"] == []
        assert explorer.get("/inventory/waste", params={name: value}, headers=viewer).status_code == 200
    answer = explorer.get("/inventory/api/waste", params={name: TOO_LONG}, headers=viewer)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", name]


def test_findings_page_through_in_a_fixed_order(explorer, viewer, demo_warehouse):
    everything = explorer.get("/inventory/api/waste", params={"limit": 1000}, headers=viewer).json()["findings"]
    assert len(everything) == rows(demo_warehouse, "select count(*) as n from marts.waste")[0]["n"]
    pages = [explorer.get("/inventory/api/waste", params={"limit": 10, "offset": offset}, headers=viewer).json()
             for offset in (0, 10, 20)]
    assert [f for page in pages for f in page["findings"]] == everything
    assert everything[0]["est_monthly_usd"] == max(f["est_monthly_usd"] for f in everything)
    first = everything[0]
    assert first["resource_url"] == (f"/inventory/resources/{first['resource_type']}/{first['account_id']}/"
                                     f"{first['region']}/{first['resource_id']}")
    slashed = next(f for f in everything if f["resource_id"].startswith("/"))  # a log group: /app/prod/web
    assert slashed["resource_url"].endswith("/" + slashed["resource_id"].replace("/", "%2F"))


@pytest.mark.parametrize("params", [{}, {"environment": "prod"}, {"team": "nobody"},
                                    {"category": "unattached_volume", "region": "us-east-1"}])
def test_csv_is_exactly_the_filtered_findings(explorer, viewer, params):
    body = explorer.get("/inventory/api/waste", params={**params, "limit": 1000}, headers=viewer).json()
    answer = explorer.get("/inventory/api/waste", params={**params, "format": "csv", "limit": 1}, headers=viewer)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="waste.csv"'
    records = csv_records(answer.text)
    assert len(records) == body["findings_total"] == len(body["findings"])  # all of them, whatever the limit

    def as_text(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ";".join(value)
        return str(value)

    assert records == [{name: as_text(value) for name, value in finding.items()} for finding in body["findings"]]
    assert answer.text.splitlines()[0].split(",")[:4] == ["category", "account_id", "account_name", "environment"]


def test_the_page_shows_the_dollars_as_a_chart_and_a_table(explorer, viewer, demo_warehouse):
    grand = rows(demo_warehouse, "select * from marts.waste_summary where row_kind = 'grand_total'")[0]
    per_category = rows(demo_warehouse, "select * from marts.waste_summary where row_kind = 'category_total'")
    page = explorer.get("/inventory/waste", params={"group_by": "category"}, headers=viewer)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert_page_is_csp_clean(html)
    assert f"<strong>${grand['est_monthly_usd']:,.2f}</strong> a month" in html
    assert f"<strong>${grand['est_annual_usd']:,.2f}</strong> a year" in html
    chart = html[html.index('<svg class="chart"'):html.index("</svg>")]
    bars = re.findall(r'<rect class="bar" x="210" y="\d+" width="([\d.]+)"', chart)
    assert len(bars) == len(per_category)
    top = max(r["est_monthly_usd"] for r in per_category)
    assert max(float(width) for width in bars) == 420.0
    for r in per_category:  # each bar's figure is in the chart as text, and in the table
        assert f"${r['est_monthly_usd']:,.2f}/mo" in chart
        assert f">{r['category']}</text>" in chart
    widths = sorted(float(width) for width in bars)
    assert widths == sorted(round(r["est_monthly_usd"] / top * 420, 1) for r in per_category)
    table = html[html.index('<table class="groups">'):]
    assert f"{grand['est_annual_usd']:,.2f}" in table
    assert 'href="/inventory/api/waste?group_by=category&amp;format=csv"' in html


def test_the_page_filters_and_pages(explorer, viewer, demo_warehouse):
    dev = rows(demo_warehouse, "select count(*) as n, sum(est_monthly_usd) as usd from marts.waste "
                               "where account_id = '333333333333'")[0]
    html = explorer.get("/inventory/waste", params={"account_id": "333333333333"}, headers=viewer).text
    assert f"<strong>${dev['usd']:,.2f}</strong> a month" in html and f"from {dev['n']} finding(s)" in html
    assert '<option value="333333333333" selected>dev</option>' in html
    assert "account_id=333333333333&amp;format=csv" in html


@pytest.fixture(scope="module")
def unusual_warehouse(demo_warehouse, tmp_path_factory):
    """The demo warehouse with an unpriced finding and findings whose text is markup or a spreadsheet formula."""
    target = tmp_path_factory.mktemp("waste-unusual") / "warehouse.duckdb"
    return warehouse_copy(demo_warehouse, target, """
        update marts.waste set est_monthly_usd = null, price_known = false,
               unpriced_price_keys = ['ec2:m5.xlarge:linux'],
               unpriced_reason = 'no price for ec2:m5.xlarge:linux in us-east-1 <from the seed>',
               cost_breakdown = '730 hour x no price (ec2:m5.xlarge:linux)'
        where category = 'idle_instance' and resource_name = 'prod-analytics-idle'""", """
        update marts.waste set resource_name = '<script>alert(1)</script>', team = '<b>bold</b>',
               detail = '=HYPERLINK("http://evil.example/")'
        where category = 'unattached_volume' and resource_id = (
            select min(resource_id) from marts.waste where category = 'unattached_volume')""")


def test_unpriced_findings_are_counted_and_shown_as_such(explorer, viewer, unusual_warehouse, monkeypatch):
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(unusual_warehouse))
    expected = rows(unusual_warehouse, "select sum(est_monthly_usd) as usd, count(*) as n from marts.waste")[0]
    body = explorer.get("/inventory/api/waste", params={"limit": 1000}, headers=viewer).json()
    assert body["total"]["unpriced_findings"] == 1 and body["total"]["priced_findings"] == expected["n"] - 1
    assert body["total"]["monthly_usd"] == round(expected["usd"], 2)
    unpriced = body["findings"][0]  # an unknown cost sorts first, never as $0
    assert unpriced["price_known"] is False and unpriced["est_monthly_usd"] is None
    assert unpriced["unpriced_price_keys"] == ["ec2:m5.xlarge:linux"]
    assert unpriced["unpriced_reason"] == "no price for ec2:m5.xlarge:linux in us-east-1 <from the seed>"
    prod = next(g for g in body["groups"] if g["label"] == "prod")
    assert prod["unpriced_findings"] == 1
    html = explorer.get("/inventory/waste", headers=viewer).text
    assert "1 unpriced finding(s) not in these sums" in html
    assert '<span class="unpriced">unpriced</span>' in html and "no price for ec2:m5.xlarge:linux in us-east-1 &lt;from the seed&gt;" in html
    assert "+ 1 unpriced</text>" in html  # on prod's bar too


def test_markup_in_the_data_is_shown_as_text(explorer, viewer, unusual_warehouse, monkeypatch):
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(unusual_warehouse))
    html = explorer.get("/inventory/waste", params={"group_by": "team"}, headers=viewer).text
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;</text>" in html  # the chart's label
    assert_page_is_csp_clean(html)


def test_csv_cells_never_start_a_formula(explorer, viewer, unusual_warehouse, monkeypatch):
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(unusual_warehouse))
    records = csv_records(explorer.get("/inventory/api/waste", params={"format": "csv"}, headers=viewer).text)
    formula = next(r for r in records if "HYPERLINK" in r["detail"])
    assert formula["detail"] == "'=HYPERLINK(\"http://evil.example/\")"
    assert not [cell for r in records for cell in r.values() if cell[:1] in ("=", "+", "@")]


def test_the_waste_form_as_a_browser_submits_it(explorer, viewer, demo_warehouse):
    grand = rows(demo_warehouse, "select * from marts.waste_summary where row_kind = 'grand_total'")[0]
    form = {"group_by": "team", "account_id": "", "team": "", "environment": "", "category": "", "region": ""}
    answer = explorer.get("/inventory/waste", params=form, headers=viewer)
    assert answer.status_code == 200 and f"<strong>${grand['est_monthly_usd']:,.2f}</strong> a month" in answer.text


# --- rightsizing: GET /inventory/api/rightsizing and the waste page's section (marts.rightsizing) --------------

def test_rightsizing_api_is_the_marts_rows_with_their_saving(explorer, viewer, demo_warehouse):
    expected = rows(demo_warehouse, "select * from marts.rightsizing")
    body = explorer.get("/inventory/api/rightsizing", headers=viewer).json()
    assert body["rows_total"] == len(body["rows"]) == len(expected) == 3
    assert [r["resource_name"] for r in body["rows"]] == ["prod-eu-search-1", "stg-orders-db", "prod-eu-etl-1"]
    saving = sum(r["monthly_saving_usd"] for r in expected if r["monthly_saving_usd"] is not None)
    assert body["summary"] == {"rows": 3, "downsize": 2, "priced_downsize": 2, "unpriced_downsize": 0,
                               "needs_memory_data": 1, "no_smaller_size": 0,
                               "monthly_saving_usd": float(saving), "annual_saving_usd": float(saving * 12)}
    search = body["rows"][0]
    assert isinstance(search["monthly_saving_usd"], float) and search["annual_saving_usd"] == round(
        search["monthly_saving_usd"] * 12, 2)
    assert (search["current_type"], search["proposed_type"], search["recommendation"]) == (
        "m5.2xlarge", "m5.xlarge", "downsize")
    assert search["resource_url"] == f"/inventory/resources/ec2_instance/111111111111/eu-west-1/{search['resource_id']}"
    assert body["as_of_date"] == expected[0]["as_of_date"].isoformat()
    only = explorer.get("/inventory/api/rightsizing", params={"recommendation": "needs memory data"},
                        headers=viewer).json()
    assert [r["resource_name"] for r in only["rows"]] == ["prod-eu-etl-1"] and only["summary"]["monthly_saving_usd"] == 0
    staging = explorer.get("/inventory/api/rightsizing", params={"environment": "staging"}, headers=viewer).json()
    assert [r["resource_name"] for r in staging["rows"]] == ["stg-orders-db"]


@pytest.mark.parametrize("name", ["account_id", "team", "environment", "region", "resource_type", "recommendation"])
def test_rightsizing_filters_take_hostile_text_and_are_bounded(explorer, viewer, name):
    for value in HOSTILE_VALUES:
        body = explorer.get("/inventory/api/rightsizing", params={name: value}, headers=viewer).json()
        assert body["rows"] == [] and body["summary"]["rows"] == 0 and body["filters"][name] == value
    answer = explorer.get("/inventory/api/rightsizing", params={name: TOO_LONG}, headers=viewer)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", name]


def test_rightsizing_csv_is_every_row(explorer, viewer):
    body = explorer.get("/inventory/api/rightsizing", headers=viewer).json()
    answer = explorer.get("/inventory/api/rightsizing", params={"format": "csv", "limit": 1}, headers=viewer)
    assert answer.headers["content-disposition"] == 'attachment; filename="rightsizing.csv"'
    records = csv_records(answer.text)
    assert [r["resource_id"] for r in records] == [r["resource_id"] for r in body["rows"]]
    assert records[0]["monthly_saving_usd"] == str(body["rows"][0]["monthly_saving_usd"])
    assert records[0]["resource_url"] == body["rows"][0]["resource_url"]


def test_the_waste_page_shows_rightsizing_with_dollars(explorer, viewer, demo_warehouse):
    expected = rows(demo_warehouse, "select sum(monthly_saving_usd) as usd from marts.rightsizing")[0]["usd"]
    html = explorer.get("/inventory/waste", headers=viewer).text
    assert_page_is_csp_clean(html)
    section = html[html.index('<h2 id="rightsizing">'):]
    assert f"<strong>${expected:,.2f}</strong> a month" in section and "from 2 downsize(s)" in section
    assert "1 with low CPU but no memory data" in section
    for name in ("prod-eu-search-1", "stg-orders-db", "prod-eu-etl-1"):
        assert name in section
    assert "prod-eu-cache-1" not in section and '<span class="unpriced">unknown</span>' in section
    assert 'href="/inventory/api/rightsizing?format=csv"' in section
    filtered = explorer.get("/inventory/waste", params={"environment": "staging", "category": "idle_instance"},
                            headers=viewer).text
    section = filtered[filtered.index('<h2 id="rightsizing">'):]
    assert "stg-orders-db" in section and "prod-eu-search-1" not in section
    assert "The category filter does not apply." in section
    assert 'href="/inventory/api/rightsizing?environment=staging&amp;format=csv"' in section
