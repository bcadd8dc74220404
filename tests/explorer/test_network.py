"""Security groups open to the world and subnets by free addresses: what the marts say, through the API and pages."""
from __future__ import annotations

import re

import pytest

from .support import HOSTILE_VALUES, TOO_LONG, assert_page_is_csp_clean, rows, warehouse_copy

ROUTES = ["/inventory/security-groups", "/inventory/api/security-groups", "/inventory/subnets",
          "/inventory/api/subnets"]


# --- security groups open to the world ----------------------------------------------------------------------------

def test_every_world_open_rule_is_listed_by_group(explorer, viewer, demo_warehouse):
    mart = rows(demo_warehouse, "select * from marts.security_group_open_ingress")
    body = explorer.get("/inventory/api/security-groups", headers=viewer).json()
    assert body["total_rules"] == len(mart) == sum(len(g["rules"]) for g in body["groups"])
    assert body["total_groups"] == len({(r["region"], r["security_group_id"]) for r in mart})
    listed = {(g["security_group_id"], r["protocol"], r["port_range"], r["cidr"], r["rule_description"])
              for g in body["groups"] for r in g["rules"]}
    assert listed == {(r["security_group_id"], r["protocol"], r["port_range"], r["cidr"], r["rule_description"])
                      for r in mart}
    by_id = {g["security_group_id"]: g for g in body["groups"]}
    for r in mart:
        group = by_id[r["security_group_id"]]
        assert (group["account_id"], group["region"], group["group_name"], group["instance_count"],
                group["running_instance_count"], group["network_interface_count"], group["is_stale"]) == \
            (r["account_id"], r["region"], r["group_name"], r["instance_count"], r["running_instance_count"],
             r["network_interface_count"], r["is_stale"])
    # the demo: prod-web admits 80 and 443 from both families and carries prod-web-1..4; dev's is stale (dev failed)
    web = next(g for g in body["groups"] if g["group_name"] == "prod-web")
    assert sorted((r["port_range"], r["cidr"]) for r in web["rules"]) == [
        ("443", "0.0.0.0/0"), ("443", "::/0"), ("80", "0.0.0.0/0"), ("80", "::/0")]
    assert sorted(i["name"] for i in web["used_by"]["instances"]) == ["prod-web-1", "prod-web-2", "prod-web-3",
                                                                      "prod-web-4"]
    assert len(web["used_by"]["network_interfaces"]) == web["network_interface_count"]
    assert web["resource_url"] == f"/inventory/resources/security_group/{web['account_id']}/us-east-1/" \
                                  f"{web['security_group_id']}"
    assert next(g for g in body["groups"] if g["group_name"] == "dev-open-all")["is_stale"] is True
    # the most exposed first
    running = [g["running_instance_count"] for g in body["groups"]]
    assert running == sorted(running, reverse=True)


def test_users_are_the_groups_current_interfaces_and_instances(explorer, viewer, demo_warehouse):
    body = explorer.get("/inventory/api/security-groups", headers=viewer).json()
    for group in body["groups"]:
        instances = rows(demo_warehouse, """
            select i.instance_id from staging.stg_aws__ec2_instances i
            join intermediate.int_aws__source_snapshots s on s.resource_type = 'ec2_instance'
             and s.account_id = i.account_id and s.source_region = i.region
             and i.snapshot_date = s.last_ok_snapshot_date
            where i.region = ? and list_contains(i.security_group_ids, ?) and i.state <> 'terminated'""",
                         [group["region"], group["security_group_id"]])
        assert sorted(i["instance_id"] for i in group["used_by"]["instances"]) == \
            sorted(i["instance_id"] for i in instances)
        assert len(instances) == group["instance_count"]
        assert len(group["used_by"]["network_interfaces"]) == group["network_interface_count"]


def test_security_groups_page_through(explorer, viewer):
    everything = explorer.get("/inventory/api/security-groups", headers=viewer).json()
    pages = [explorer.get("/inventory/api/security-groups", params={"limit": 3, "offset": offset}, headers=viewer).json()
             for offset in (0, 3, 6)]
    assert [g["security_group_id"] for page in pages for g in page["groups"]] == \
        [g["security_group_id"] for g in everything["groups"]]
    assert {page["total_groups"] for page in pages} == {everything["total_groups"]}
    assert pages[1]["groups"][0]["used_by"] == everything["groups"][3]["used_by"]
    for name, value in (("limit", "0"), ("limit", "1001"), ("offset", "-1"), ("offset", "x")):
        answer = explorer.get("/inventory/api/security-groups", params={name: value}, headers=viewer)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", name]


def test_a_port_keeps_the_groups_that_admit_it(explorer, viewer, demo_warehouse):
    expected = rows(demo_warehouse, """
        select distinct security_group_id from marts.security_group_open_ingress
        where all_ports or (protocol not in ('icmp', 'icmpv6') and 22 between from_port and to_port)""")
    body = explorer.get("/inventory/api/security-groups", params={"port": 22}, headers=viewer).json()
    assert sorted(g["security_group_id"] for g in body["groups"]) == sorted(r["security_group_id"] for r in expected)
    assert {g["group_name"] for g in body["groups"]} >= {"prod-bastion", "dev-open-all", "prod-legacy-allow-all"}
    assert "prod-web" not in {g["group_name"] for g in body["groups"]}


def test_security_group_filters_are_exact(explorer, viewer, demo_warehouse):
    expected = rows(demo_warehouse, """select count(*) as n from marts.security_group_open_ingress
                                       where account_id = '222222222222' and region = 'us-east-1'""")[0]["n"]
    body = explorer.get("/inventory/api/security-groups", params={"account_id": "222222222222", "region": "us-east-1"},
                        headers=viewer).json()
    assert body["total_rules"] == expected > 0 and {g["account_id"] for g in body["groups"]} == {"222222222222"}


@pytest.mark.parametrize("name", ["account_id", "region"])
def test_hostile_text_in_security_group_filters_matches_nothing(explorer, viewer, name):
    for value in HOSTILE_VALUES:
        answer = explorer.get("/inventory/api/security-groups", params={name: value}, headers=viewer)
        assert answer.status_code == 200 and answer.json()["groups"] == [], (name, value)
        assert explorer.get("/inventory/security-groups", params={name: value}, headers=viewer).status_code == 200
    assert explorer.get("/inventory/api/security-groups", params={name: TOO_LONG}, headers=viewer).status_code == 422


@pytest.mark.parametrize("port", ["-1", "65536", "22;", "' or 1=1 --", "ssh"])
def test_a_port_is_a_port_number(explorer, viewer, port):
    answer = explorer.get("/inventory/api/security-groups", params={"port": port}, headers=viewer)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "port"]


def test_the_security_groups_page(explorer, viewer, demo_warehouse):
    html = explorer.get("/inventory/security-groups", headers=viewer).text
    assert_page_is_csp_clean(html)
    mart = rows(demo_warehouse, "select distinct security_group_id from marts.security_group_open_ingress")
    for r in mart:
        assert f"<code>{r['security_group_id']}</code>" in html
    assert "<strong>tcp 22</strong> from <code>0.0.0.0/0</code>" in html
    assert "(temporary: vendor access)" in html
    assert "source stale: as of" in html  # dev's group


# --- subnets ------------------------------------------------------------------------------------------------------

def test_subnets_come_fullest_first(explorer, viewer, demo_warehouse):
    mart = rows(demo_warehouse, "select * from marts.subnet_utilization where level = 'subnet'")
    body = explorer.get("/inventory/api/subnets", params={"limit": 1000}, headers=viewer).json()
    assert body["total"] == len(mart) == len(body["rows"])
    free = [r["available_addresses"] for r in body["rows"]]
    assert free == sorted(free)
    first = body["rows"][0]  # the demo's prod-db-a: a /28 with 8 database interfaces
    assert (first["subnet_name"], first["cidr_block"], first["usable_addresses"], first["used_addresses"],
            first["available_addresses"], first["percent_used"]) == ("prod-db-a", "10.10.100.0/28", 11, 8, 3, 72.73)
    by_id = {r["subnet_id"]: r for r in mart}
    for row in body["rows"]:
        expected = by_id[row["subnet_id"]]
        assert (row["available_addresses"], row["used_addresses"], row["usable_addresses"], row["is_stale"]) == \
            (expected["available_addresses"], expected["used_addresses"], expected["usable_addresses"],
             expected["is_stale"])
    assert first["resource_url"] == f"/inventory/resources/subnet/{first['account_id']}/us-east-1/{first['subnet_id']}"


@pytest.mark.parametrize("sort, column, descending", [("-free", "available_addresses", True),
                                                      ("-used_percent", "percent_used", True),
                                                      ("used_percent", "percent_used", False)])
def test_subnets_sort_by_an_allowed_column(explorer, viewer, sort, column, descending):
    values = [r[column] for r in explorer.get("/inventory/api/subnets", params={"sort": sort, "limit": 1000},
                                              headers=viewer).json()["rows"]]
    assert values == sorted(values, reverse=descending)


def test_subnets_page_through_and_vpcs_sum_them(explorer, viewer, demo_warehouse):
    everything = explorer.get("/inventory/api/subnets", params={"limit": 1000}, headers=viewer).json()["rows"]
    pages = [explorer.get("/inventory/api/subnets", params={"limit": 20, "offset": offset}, headers=viewer).json()
             for offset in (0, 20, 40)]
    assert [r["subnet_id"] for page in pages for r in page["rows"]] == [r["subnet_id"] for r in everything]
    vpcs = explorer.get("/inventory/api/subnets", params={"level": "vpc", "limit": 1000}, headers=viewer).json()
    assert vpcs["total"] == rows(demo_warehouse, "select count(*) as n from marts.subnet_utilization "
                                                 "where level = 'vpc'")[0]["n"]
    core = next(r for r in vpcs["rows"] if r["vpc_name"] == "prod-core")
    assert core["available_addresses"] == sum(r["available_addresses"] for r in everything
                                              if r["vpc_id"] == core["vpc_id"])
    assert core["resource_url"].startswith("/inventory/resources/vpc/")
    one_vpc = explorer.get("/inventory/api/subnets", params={"vpc_id": core["vpc_id"]}, headers=viewer).json()
    assert {r["vpc_id"] for r in one_vpc["rows"]} == {core["vpc_id"]} and one_vpc["total"] == core["subnet_count"]


@pytest.mark.parametrize("name, value", [("sort", "subnet_id"), ("sort", "free; drop table x"), ("level", "account"),
                                         ("limit", "0"), ("limit", "1001"), ("offset", "-1")])
def test_subnet_parameters_are_bounded(explorer, viewer, name, value):
    answer = explorer.get("/inventory/api/subnets", params={name: value}, headers=viewer)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", name]


@pytest.mark.parametrize("name", ["account_id", "region", "vpc_id"])
def test_hostile_text_in_subnet_filters_matches_nothing(explorer, viewer, name):
    for value in HOSTILE_VALUES:
        body = explorer.get("/inventory/api/subnets", params={name: value}, headers=viewer).json()
        assert body["total"] == 0 and body["rows"] == [], (name, value)
        assert explorer.get("/inventory/subnets", params={name: value}, headers=viewer).status_code == 200
    assert explorer.get("/inventory/api/subnets", params={name: TOO_LONG}, headers=viewer).status_code == 422


def test_the_subnets_page_draws_a_bar_per_subnet(explorer, viewer, demo_warehouse):
    html = explorer.get("/inventory/subnets", headers=viewer).text
    assert_page_is_csp_clean(html)
    mart = rows(demo_warehouse, "select * from marts.subnet_utilization where level = 'subnet' "
                                "order by available_addresses, account_id, region, vpc_id, subnet_id")
    bars = re.findall(r'aria-label="(\d+) of (\d+) usable addresses used, (\d+) free">\s*'
                      r'<rect class="track" width="100" height="8"></rect><rect class="used" width="([\d.]+)"', html)
    assert [(int(used), int(usable), int(free)) for used, usable, free, _ in bars] == \
        [(r["used_addresses"], r["usable_addresses"], r["available_addresses"]) for r in mart]
    for used, usable, _, width in bars:
        assert float(width) == round(int(used) / int(usable) * 100, 2)
    assert "<strong>3</strong>" in html  # prod-db-a's free addresses, as text


@pytest.fixture(scope="module")
def hostile_network(demo_warehouse, tmp_path_factory):
    target = tmp_path_factory.mktemp("network-hostile") / "warehouse.duckdb"
    return warehouse_copy(demo_warehouse, target,
                          "update marts.security_group_open_ingress "
                          "set group_description = '<img src=x onerror=alert(1)>' where group_name = 'prod-web'",
                          "update marts.subnet_utilization set subnet_name = '<script>alert(2)</script>' "
                          "where subnet_name = 'prod-db-a'")


def test_markup_in_network_data_is_shown_as_text(explorer, viewer, hostile_network, monkeypatch):
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(hostile_network))
    groups = explorer.get("/inventory/security-groups", headers=viewer).text
    assert "<img src=x" not in groups and "&lt;img src=x onerror=alert(1)&gt;" in groups
    subnets = explorer.get("/inventory/subnets", headers=viewer).text
    assert "<script>alert(2)" not in subnets and "&lt;script&gt;alert(2)&lt;/script&gt;" in subnets


def test_the_security_groups_form_as_a_browser_submits_it(explorer, viewer):
    assert explorer.get("/inventory/security-groups", params={"account_id": "", "region": "", "port": ""},
                        headers=viewer).status_code == 200
    html = explorer.get("/inventory/security-groups", params={"account_id": "", "region": "", "port": "22"},
                        headers=viewer).text
    assert "prod-bastion" in html and "public web tier" not in html  # prod-web admits 80 and 443 only
    for port in ("65536", "-1", "22;", "1e3"):
        assert explorer.get("/inventory/security-groups", params={"port": port}, headers=viewer).status_code == 422


def test_the_subnets_form_as_a_browser_submits_it(explorer, viewer):
    answer = explorer.get("/inventory/subnets", params={"level": "subnet", "account_id": "", "region": "",
                                                        "vpc_id": "", "sort": "free"}, headers=viewer)
    assert answer.status_code == 200 and "43 subnet(s)" in answer.text
