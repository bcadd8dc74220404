"""Search: exact answers on the demo estate through the API and the page (the real Airflow app, a viewer's login),
with the resolution path; ranking; hostile input in every parameter; markup shown as text."""
from __future__ import annotations

import duckdb
import pytest

from cloud_inventory.explorer.common import warehouse

ROUTES = ["/inventory/", "/inventory/?q=www.shop.example.com", "/inventory/api/search?q=10.10.0.4",
          "/inventory/static/search.js", "/inventory/static/search.css"]
HOSTILE = ["'", "' or '1'='1", "--", "x'; drop table marts.search_index; --", ";", "%", "_", "prod_web%", "\\",
           "\\'", "ü名前🙂", "\u202e", "a\x00b", "a" * 512]


def sql(query: str, parameters=()) -> list[dict]:
    """A query on the warehouse the explorer reads (the demo's), for the expected answers."""
    with warehouse().cursor() as cursor:
        result = cursor.execute(query, list(parameters))
        names = [column[0] for column in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]


def one(query: str, parameters=()):
    rows = sql(query, parameters)
    assert len(rows) == 1, rows
    return rows[0]


def search(client, headers, q: str, **params) -> dict:
    answer = client.get("/inventory/api/search", params={"q": q, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def instance(name: str) -> dict:
    return one("""select i.resource_id, i.account_id, i.region, s.private_ip_address, s.public_ip_address
                  from marts.inventory_current i join staging.stg_aws__ec2_instances s using (resource_type,
                       account_id, region, resource_id, snapshot_date)
                  where i.resource_type = 'ec2_instance' and i.name = ?""", [name])


def page_of(resource_type: str, account_id: str, region: str, resource_id: str) -> str:
    """The resource page's link (its format: tests/explorer/test_links.py)."""
    from cloud_inventory.explorer.links import resource_url

    return resource_url("/inventory", resource_type, account_id, region, resource_id)


def path(match: dict) -> list[tuple]:
    return [(hop["depth"], hop["how"], hop["resource_type"], hop["name"]) for hop in match["via"]]


# --- login ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_a_viewer_may_search(explorer, viewer, route):
    assert explorer.get(route, headers=viewer).status_code == 200


# --- exact answers on the demo estate ---------------------------------------------------------------------------

def test_a_dns_name_resolves_through_its_alias_load_balancer_and_target_group_to_the_instances(explorer, viewer):
    body = search(explorer, viewer, "www.shop.example.com")
    assert body["identifier"] == "www.shop.example.com"
    by_type = {m["resource_type"]: m for m in body["matches"]}
    assert sorted(by_type) == ["k8s_ingress", "route53_record"]
    record = by_type["route53_record"]
    assert (record["resource_id"], record["account_name"], record["environment"], record["team"], record["region"],
            record["matched_on"], record["match"]) == (
        "www.shop.example.com.|A", "prod", "prod", "platform", "global", "route53_record", "exact")
    web_path = [(1, "alias", "elbv2_load_balancer", "prod-web-alb"),
                (2, "target_group", "elbv2_target_group", "prod-web-tg"),
                (3, "target", "ec2_instance", "prod-web-1"), (3, "target", "ec2_instance", "prod-web-2"),
                (3, "target", "ec2_instance", "prod-web-3")]
    assert sorted(path(record)) == web_path
    targets = [hop for hop in record["via"] if hop["how"] == "target"]
    assert {hop["detail"] for hop in targets} == {"healthy port 80"} and {hop["state"] for hop in targets} == {"running"}
    web1 = instance("prod-web-1")
    hop = next(hop for hop in targets if hop["name"] == "prod-web-1")
    assert hop["resource_id"] == web1["resource_id"]
    assert hop["page"] == page_of("ec2_instance", web1["account_id"], web1["region"], web1["resource_id"])
    alb = record["via"][0]
    assert alb["page"] == page_of("elbv2_load_balancer", "111111111111", "us-east-1", alb["resource_id"])
    # the ingress that serves the host is in the prod-eks cluster and reaches the same instances
    ingress = by_type["k8s_ingress"]
    assert (ingress["resource_id"], ingress["cluster"], ingress["namespace"], ingress["matched_on"]) == (
        "prod-eks/shop/web", "prod-eks", "shop", "ingress_host")
    assert sorted(path(ingress)) == [(1, "load_balancer", *web_path[0][2:]), *web_path[1:]]
    assert ingress["page"] == "/inventory/resources/k8s_ingress/111111111111/us-east-1/prod-eks/shop/web"


@pytest.mark.parametrize("pasted", ["https://WWW.shop.example.com:8443/cart?item=1#top", "www.shop.example.com:443/cart",
                                    "  www.shop.example.com.  ", "http://www.shop.example.com"])
def test_a_url_with_a_scheme_port_or_path_is_its_host(explorer, viewer, pasted):
    body = search(explorer, viewer, pasted)
    assert "www.shop.example.com" in body["terms"]
    assert {(m["resource_type"], m["resource_id"]) for m in body["matches"]} == {
        ("route53_record", "www.shop.example.com.|A"), ("k8s_ingress", "prod-eks/shop/web")}


def test_a_private_ip_finds_the_instance_and_its_interface(explorer, viewer):
    web1 = instance("prod-web-1")
    body = search(explorer, viewer, web1["private_ip_address"])
    found = {(m["resource_type"], m["matched_on"]): m for m in body["matches"]}
    assert set(found) == {("ec2_instance", "private_ip"), ("network_interface", "private_ip")}
    match = found[("ec2_instance", "private_ip")]
    assert (match["resource_id"], match["name"], match["account_id"], match["account_name"], match["environment"],
            match["team"], match["region"], match["state"], match["via"]) == (
        web1["resource_id"], "prod-web-1", "111111111111", "prod", "prod", "platform", "us-east-1", "running", [])
    interface = found[("network_interface", "private_ip")]
    assert path(interface) == [(1, "attachment", "ec2_instance", "prod-web-1")]


def test_a_public_elastic_ip_resolves_to_the_instance_it_is_associated_with(explorer, viewer):
    eip = one("""select resource_id, public_ip from staging.stg_aws__elastic_ips
                 where name = 'prod-bastion-eip' order by snapshot_date desc limit 1""")
    bastion = instance("prod-bastion")
    body = search(explorer, viewer, eip["public_ip"])
    found = {m["resource_type"]: m for m in body["matches"]}
    assert {"elastic_ip", "ec2_instance", "network_interface"} <= set(found)
    assert found["elastic_ip"]["resource_id"] == eip["resource_id"]
    assert found["elastic_ip"]["matched_on"] == "public_ip"
    assert [(hop["how"], hop["resource_type"], hop["resource_id"], hop["name"], hop["detail"])
            for hop in found["elastic_ip"]["via"]] == [
        ("association", "ec2_instance", bastion["resource_id"], "prod-bastion", eip["public_ip"])]
    assert found["ec2_instance"]["resource_id"] == bastion["resource_id"]


def test_an_instance_id_in_any_case(explorer, viewer):
    web1 = instance("prod-web-1")
    body = search(explorer, viewer, web1["resource_id"].upper())
    ec2 = [m for m in body["matches"] if m["resource_type"] == "ec2_instance"]
    assert [(m["resource_id"], m["matched_on"], m["match"]) for m in ec2] == [(web1["resource_id"], "id", "exact")]
    assert body["matches"][0] == ec2[0]  # an exact identifier ranks first
    assert ec2[0]["page"] == page_of("ec2_instance", "111111111111", "us-east-1", web1["resource_id"])


def test_an_arn_finds_the_load_balancer_and_follows_it_to_its_targets(explorer, viewer):
    arn = one("select resource_id from marts.inventory_current where name = 'prod-api-nlb'")["resource_id"]
    body = search(explorer, viewer, arn)
    assert [(m["resource_type"], m["name"], m["matched_on"]) for m in body["matches"]] == [
        ("elbv2_load_balancer", "prod-api-nlb", "arn")]
    assert sorted(path(body["matches"][0])) == [
        (1, "target_group", "elbv2_target_group", "prod-api-tg"),
        (2, "target", "ec2_instance", "prod-app-1"), (2, "target", "ec2_instance", "prod-app-2")]


def test_a_name_tag_in_any_case_first_then_names_that_start_with_it(explorer, viewer):
    assert [m["name"] for m in search(explorer, viewer, "PROD-WEB-1")["matches"]] == ["prod-web-1"]  # exact only
    body = search(explorer, viewer, "PROD-WEB-1", complete="true")  # as you type: then what starts with it
    first = body["matches"][0]
    assert (first["resource_type"], first["name"], first["matched_on"], first["match"]) == (
        "ec2_instance", "prod-web-1", "name_tag", "exact name")
    rest = body["matches"][1:]
    assert rest and {m["match"] for m in rest} == {"prefix"}
    assert {m["name"] for m in rest} == {"prod-web-1-vol"}
    assert path(rest[0]) == [(1, "attachment", "ec2_instance", "prod-web-1")]


def test_exact_identifiers_rank_before_exact_names_before_prefixes(explorer, viewer):
    body = search(explorer, viewer, "prod-orders-db", complete="true")
    ranks = [m["match"] for m in body["matches"]]
    assert ranks == sorted(ranks, key=["exact", "exact name", "prefix"].index)
    assert (body["matches"][0]["resource_type"], body["matches"][0]["matched_on"]) == ("rds_instance", "id")
    assert "rds_snapshot" in {m["resource_type"] for m in body["matches"] if m["match"] == "prefix"}
    assert len({(m["resource_type"], m["resource_id"]) for m in body["matches"]}) == len(body["matches"])  # once each


def test_as_you_type_a_prefix_is_bounded_by_the_limit(explorer, viewer):
    everything = search(explorer, viewer, "pr", limit=1000)
    assert len(everything["matches"]) > 5 and not everything["truncated"]
    first = search(explorer, viewer, "pr", limit=5)
    assert len(first["matches"]) == 5 and first["truncated"]
    assert first["matches"] == everything["matches"][:5]
    assert search(explorer, viewer, "p")["matches"] == []  # one character completes nothing


def test_a_tag_key_value_finds_every_resource_with_that_tag(explorer, viewer):
    expected = sql("""select resource_type, resource_id from marts.inventory_current
                      where len(list_filter(map_entries(tags), lambda e: lower(e.key) = 'team'
                                                                 and lower(e.value) = 'payments')) > 0""")
    assert len(expected) > 10
    body = search(explorer, viewer, "Team = Payments", limit=200)
    assert body["identifier"] == "team=payments"
    assert sorted((m["resource_type"], m["resource_id"]) for m in body["matches"]) == sorted(
        (r["resource_type"], r["resource_id"]) for r in expected)
    assert {m["matched_on"] for m in body["matches"]} == {"tag"}


def test_a_tag_key_with_no_value_finds_every_value(explorer, viewer):
    expected = sql("""select resource_id from marts.inventory_current
                      where map_contains(tags, 'eks.amazonaws.com/nodegroup')""")
    body = search(explorer, viewer, "eks.amazonaws.com/nodegroup=", limit=200)
    assert sorted(m["resource_id"] for m in body["matches"]) == sorted(r["resource_id"] for r in expected)
    assert {m["resource_type"] for m in body["matches"]} == {"k8s_node"} and len(expected) == 4


def test_a_pod_name_finds_the_pod_in_each_cluster_and_the_node_and_instance_it_runs_on(explorer, viewer):
    body = search(explorer, viewer, "redis-0")
    pods = {m["cluster"]: m for m in body["matches"] if m["resource_type"] == "k8s_pod"}
    assert sorted(pods) == ["prod-eks", "stg-eks"]
    pod = pods["prod-eks"]
    assert (pod["resource_id"], pod["namespace"], pod["matched_on"], pod["account_name"], pod["state"]) == (
        "prod-eks/shop/redis-0", "shop", "k8s_name", "prod", "Running")
    node = one("""select n.name, n.ec2_instance_id from staging.stg_k8s__pods p
                  join intermediate.int_k8s__latest_dumps d on d.cluster = p.cluster and d.dump_at = p.dump_at
                  join staging.stg_k8s__nodes n on n.cluster = p.cluster and n.dump_at = p.dump_at and n.name = p.node_name
                  where p.cluster = 'prod-eks' and p.resource_id = 'shop/redis-0'""")
    assert [(hop["depth"], hop["how"], hop["resource_type"], hop["resource_id"]) for hop in pod["via"]] == [
        (1, "node", "k8s_node", f"prod-eks/{node['name']}"), (2, "ec2_instance", "ec2_instance", node["ec2_instance_id"])]
    assert pod["page"] == page_of("k8s_pod", "111111111111", "us-east-1", "prod-eks/shop/redis-0")
    assert pod["via"][-1]["page"] == page_of("ec2_instance", "111111111111", "us-east-1", node["ec2_instance_id"])
    by_namespace = search(explorer, viewer, "shop/redis-0")["matches"]  # namespace/name too
    assert [(m["resource_id"], m["via"]) for m in by_namespace] == [(m["resource_id"], m["via"]) for m in body["matches"]]


def test_a_node_name_is_the_ec2_instance_it_runs_on(explorer, viewer):
    node = one("""select name, ec2_instance_id from staging.stg_k8s__nodes
                  where cluster = 'prod-eks' order by dump_at desc, name limit 1""")
    body = search(explorer, viewer, node["name"])
    match = next(m for m in body["matches"] if m["resource_type"] == "k8s_node")
    assert (match["resource_id"], match["cluster"], match["state"]) == (f"prod-eks/{node['name']}", "prod-eks", "Ready")
    assert [(hop["how"], hop["resource_type"], hop["resource_id"]) for hop in match["via"]] == [
        ("ec2_instance", "ec2_instance", node["ec2_instance_id"])]
    assert match["page"] == page_of("k8s_node", "111111111111", "us-east-1", f"prod-eks/{node['name']}")
    assert match["via"][0]["page"] == page_of("ec2_instance", "111111111111", "us-east-1", node["ec2_instance_id"])
    assert any(m["resource_type"] == "ec2_instance" and m["resource_id"] == node["ec2_instance_id"]
               for m in body["matches"])  # the instance's own private DNS name is the node's name


def test_the_page_shows_the_path_and_links_each_resource(explorer, viewer):
    page = explorer.get("/inventory/", params={"q": "www.shop.example.com"}, headers=viewer)
    assert page.status_code == 200
    web1 = instance("prod-web-1")
    assert f'href="{page_of("ec2_instance", "111111111111", "us-east-1", web1["resource_id"])}"' in page.text
    assert "prod-web-alb" in page.text and "target_group" in page.text and "healthy port 80" in page.text
    assert 'src="/inventory/static/search.js"' in page.text and "<script>" not in page.text  # no inline script


def test_nothing_found_says_so(explorer, viewer):
    assert search(explorer, viewer, "10.255.255.254")["matches"] == []
    page = explorer.get("/inventory/", params={"q": "10.255.255.254"}, headers=viewer)
    assert "0 match(es)" in page.text


# --- hostile input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_in_q_is_only_ever_a_value(explorer, viewer, value):
    body = search(explorer, viewer, value)
    assert body["matches"] == [] and body["query"] == value
    page = explorer.get("/inventory/", params={"q": value}, headers=viewer)
    assert page.status_code == 200
    assert one("select count(*) as n from marts.search_index")["n"] > 0  # (and nothing was dropped)


def test_percent_and_underscore_are_not_wildcards(explorer, viewer):
    assert search(explorer, viewer, "prod_web")["matches"] == []
    assert search(explorer, viewer, "prod%web")["matches"] == []
    assert search(explorer, viewer, "prod-web")["matches"]


@pytest.mark.parametrize("params", [{"q": "a" * 513}, {"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 1001},
                                    {"q": "x", "limit": "1; drop"}, {}])
def test_bounds_are_422(explorer, viewer, params):
    answer = explorer.get("/inventory/api/search", params=params, headers=viewer)
    assert answer.status_code == 422 and "detail" in answer.json()


def test_the_page_refuses_text_longer_than_any_identifier(explorer, viewer):
    page = explorer.get("/inventory/", params={"q": "a" * 513}, headers=viewer)
    assert page.status_code == 422 and "longer than 512 characters" in page.text


# --- markup is text ---------------------------------------------------------------------------------------------

MARKUP = "<script>alert(1)</script>"


@pytest.fixture
def crafted(explorer, tmp_path, monkeypatch):
    """A warehouse whose resource is named with markup, and whose hop too (the demo has no such name)."""
    path = tmp_path / "crafted.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"""create table marts.search_index as select
            'evil' as term, 'name_tag' as term_kind, 'network_interface' as resource_type, 'i-<b>1</b>' as resource_id,
            '{MARKUP}' as name, 'running' as state, '111111111111' as account_id, 'us-east-1' as region,
            null::varchar as cluster, null::varchar as namespace, false as is_stale, null::varchar as resolves_via,
            null::varchar as resolves_through_record, null::varchar as resolves_to_resource_type,
            null::varchar as resolves_to_resource_id, null::varchar as resolves_to_resource_name,
            null::varchar as resolves_to_account_id, null::varchar as resolves_to_region""")
        con.execute("create schema intermediate")
        con.execute("""create table intermediate.int_inventory__accounts as select '111111111111' as account_id,
            '<i>acct</i>' as account_name, 'prod' as environment, 'web"><img src=x onerror=alert(2)>' as team""")
        con.execute("""create table marts.lookup_hops as select
            'network_interface' as from_resource_type, '111111111111' as from_account_id, 'us-east-1' as from_region,
            'i-<b>1</b>' as from_resource_id, 'attachment' as how, '<u>detail</u>' as detail,
            'ec2_instance' as to_resource_type, '111111111111' as to_account_id, 'us-east-1' as to_region,
            'vol-"onmouseover="x' as to_resource_id, '<svg onload=alert(3)>' as to_name, 'in-use' as to_state,
            true as to_is_current, false as to_is_stale""")
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(path))
    return path


def test_markup_in_a_name_is_shown_as_text(crafted, explorer, viewer):
    body = search(explorer, viewer, "evil")
    assert body["matches"][0]["name"] == MARKUP and body["matches"][0]["via"][0]["name"] == "<svg onload=alert(3)>"
    page = explorer.get("/inventory/", params={"q": "evil"}, headers=viewer)
    assert page.status_code == 200
    for raw in (MARKUP, "<b>1</b>", "<i>acct</i>", "<img src=x", "<svg onload", "<u>detail</u>", '"onmouseover="'):
        assert raw not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "&lt;svg onload=alert(3)&gt;" in page.text
    assert "i-%3Cb%3E1%3C/b%3E" in page.text  # the id in the link is url-encoded (its slash kept)


def test_the_script_builds_nodes_with_text_never_markup():
    from cloud_inventory.explorer.common import HERE

    script = (HERE / "static" / "search.js").read_text()
    assert "textContent" in script
    assert not any(sink in script for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                                               "eval("))


def test_search_follows_every_type_the_hops_start_from(explorer):
    from cloud_inventory.explorer.queries.search import HOP_SOURCES

    built = {row["from_resource_type"] for row in sql("select distinct from_resource_type from marts.lookup_hops")}
    assert built <= HOP_SOURCES and len(built) >= 8
