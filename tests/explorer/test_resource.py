"""The resource page and its API on the demo world: what each resource is, was, costs, relates to and is made of."""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from html import unescape
from urllib.parse import quote

import pyarrow as pa
import pytest

from cloud_inventory.demo import seeded_secrets
from cloud_inventory.lake import Lake

PROD, STAGING, DEV = "111111111111", "222222222222", "333333333333"


@pytest.fixture(scope="module")
def demo(demo_warehouse):
    """Who is who in the demo warehouse: inventory_current's keys by (type, name), and the deleted resources."""
    from cloud_inventory.warehouse.readonly import open_readonly

    con = open_readonly(demo_warehouse)
    try:
        current = con.execute("select resource_type, name, account_id, region, resource_id, created_at "
                              "from marts.inventory_current").fetchall()
        deleted = con.execute("select resource_type, name, account_id, region, resource_id from "
                              "marts.inventory_history where is_deleted").fetchall()
    finally:
        con.close()
    return {"current": current, "deleted": deleted}


def named(demo, resource_type: str, name: str, *, table: str = "current") -> list[tuple]:
    return [row for row in demo[table] if row[0] == resource_type and row[1] == name]


def the(demo, resource_type: str, name: str, **kwargs) -> tuple:
    rows = named(demo, resource_type, name, **kwargs)
    assert len(rows) == 1, rows
    return rows[0]


def path(resource_type: str, account_id: str, region: str, resource_id: str, *, api: bool = True) -> str:
    segments = [quote(part, safe="") for part in (resource_type, account_id, region)]
    return f"/inventory{'/api' if api else ''}/resources/{'/'.join(segments)}/{quote(resource_id, safe='/:')}"


@pytest.fixture
def client(explorer, demo_world, monkeypatch):
    """The explorer reading the demo world's warehouse and lake."""
    monkeypatch.setenv("INVENTORY_LAKE_URI", demo_world["lake"].uri)
    return explorer


def get(client, viewer, row: tuple) -> dict:
    answer = client.get(path(*row[:1], *row[2:5]), headers=viewer)
    assert answer.status_code == 200, answer.text
    return answer.json()


def group(body: dict, relation: str) -> list[dict]:
    found = [g for g in body["related"] if g["relation"] == relation]
    assert len(found) == 1, [g["relation"] for g in body["related"]]
    return found[0]["resources"]


def checkout_pod(demo) -> tuple:
    """A pod of shop/checkout on prod-eks (its containers' env carries seeded secrets)."""
    return sorted(row for row in demo["current"] if row[0] == "k8s_pod"
                  and row[4].startswith("prod-eks/shop/checkout-"))[0]


def names(items: list[dict]) -> set:
    return {(item["resource_type"], item["name"] or item["resource_id"]) for item in items}


# --- history -----------------------------------------------------------------------------------------------

def test_the_resized_instance_shows_two_versions_and_its_instance_type_change(client, viewer, demo, demo_world):
    day1, day2, day3 = demo_world["days"]
    body = get(client, viewer, the(demo, "ec2_instance", "prod-app-2"))
    assert (body["name"], body["account_name"], body["environment"], body["team"]) == (
        "prod-app-2", "prod", "prod", "platform")
    assert body["tags"]["team"] == "payments" and body["state"] == "running"
    assert [(v["version_number"], v["change_kind"], v["valid_from_date"], v["valid_to_date"], v["is_latest"])
            for v in body["versions"]] == [(1, "first_seen", day1.isoformat(), day2.isoformat(), False),
                                           (2, "modified", day2.isoformat(), None, True)]
    assert [(c["snapshot_date"], c["previous_snapshot_date"], c["field"], c["change_kind"], c["old_value"],
             c["new_value"]) for c in body["changes"]] == [
        (day2.isoformat(), day1.isoformat(), "instance_type", "modified", "m5.large", "m5.xlarge")]
    assert body["config"]["InstanceType"] == "m5.xlarge" and body["config_snapshot_date"] == day3.isoformat()
    for stamp in (body["created_at"], body["first_seen_at"], body["last_seen_at"], body["versions"][0]["valid_from"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)  # ISO 8601, UTC
    page = client.get(path(*the(demo, "ec2_instance", "prod-app-2")[:1], *the(demo, "ec2_instance", "prod-app-2")[2:5],
                           api=False), headers=viewer)
    assert page.status_code == 200
    row = re.search(r"<tr><td>[^<]*</td><td>[^<]*</td><td><code>instance_type</code></td>.*?</tr>", page.text, re.S)
    assert row and "m5.large" in row.group(0) and "m5.xlarge" in row.group(0)


def test_a_deleted_volume_keeps_its_page_with_its_history_and_last_configuration(client, viewer, demo, demo_world):
    day1, day2, _ = demo_world["days"]
    body = get(client, viewer, the(demo, "ebs_volume", "prod-orphan-data", table="deleted"))
    assert (body["is_current"], body["is_deleted"]) == (False, True)
    assert [(v["change_kind"], v["valid_from_date"]) for v in body["versions"]] == [
        ("first_seen", day1.isoformat()), ("deleted", day2.isoformat())]
    assert body["changes"][0]["change_kind"] == "deleted"
    assert body["config_snapshot_date"] == day1.isoformat() and body["config"]["Size"] == 500


# --- related resources -----------------------------------------------------------------------------------

def test_an_instance_shows_its_network_volumes_balancers_names_and_kubernetes_node(client, viewer, demo):
    body = get(client, viewer, the(demo, "ec2_instance", "prod-app-2"))
    assert names(group(body, "subnet")) == {("subnet", "prod-app-b")}
    assert names(group(body, "VPC")) == {("vpc", "prod-core")}
    assert names(group(body, "security groups")) == {("security_group", "prod-app")}
    volumes = {row[4] for row in named(demo, "ebs_volume", "prod-app-2-vol")}
    assert len(volumes) == 2 and {v["resource_id"] for v in group(body, "volumes")} == volumes
    assert names(group(body, "target groups it is a target of")) == {("elbv2_target_group", "prod-api-tg")}
    balancers = group(body, "load balancers (through its target groups)")
    assert [(b["name"], b["via"]["name"]) for b in balancers] == [("prod-api-nlb", "prod-api-tg")]
    records = group(body, "Route 53 names that resolve to it")
    assert [(r["resource_id"], r["via"]["name"]) for r in records] == [("api.shop.example.com.|CNAME", "prod-api-nlb")]
    node = f"prod-eks/{body['config']['PrivateDnsName']}"
    assert [n["resource_id"] for n in group(body, "Kubernetes node")] == [node]
    nodegroups = group(body, "EKS node group (through its Kubernetes node)")
    assert [(g["resource_id"], g["via"]["resource_id"]) for g in nodegroups] == [("prod-eks/prod-general", node)]
    assert names(group(body, "launched from AMI")) == {("ami", body["config"]["ImageId"])}
    assert group(body, "launched from AMI")[0]["in_inventory"] is False  # moto's public AMI: named, not linked
    for item in (*group(body, "Kubernetes node"), *records, *group(body, "target groups it is a target of")):
        linked = client.get(item["href"].replace("/inventory/resources/", "/inventory/api/resources/", 1),
                            headers=viewer)
        assert linked.status_code == 200 and linked.json()["resource_id"] == item["resource_id"]


def test_a_web_server_shows_its_alb_target_group_the_names_in_front_and_the_classic_balancer(client, viewer, demo):
    body = get(client, viewer, the(demo, "ec2_instance", "prod-web-1"))
    assert names(group(body, "target groups it is a target of")) == {("elbv2_target_group", "prod-web-tg")}
    assert names(group(body, "load balancers (through its target groups)")) == {("elbv2_load_balancer", "prod-web-alb")}
    assert names(group(body, "classic load balancers")) == {("classic_load_balancer", "prod-legacy-clb")}
    records = group(body, "Route 53 names that resolve to it")
    assert {(r["resource_id"], r["via"]["name"]) for r in records} == {
        ("www.shop.example.com.|A", "prod-web-alb"), ("shop.example.com.|A", "prod-web-alb")}
    ingresses = group(body, "Kubernetes ingresses behind it")
    assert {(i["resource_id"], i["via"]["name"]) for i in ingresses} == {("prod-eks/shop/web", "prod-web-alb")}


def test_a_volume_shows_its_attachment_and_a_group_what_uses_it(client, viewer, demo):
    instance = the(demo, "ec2_instance", "prod-app-2")
    for volume in named(demo, "ebs_volume", "prod-app-2-vol"):
        body = get(client, viewer, volume)
        assert [(i["resource_id"], i["name"]) for i in group(body, "attached to instances")] == [
            (instance[4], "prod-app-2")]
        assert body["config"]["Attachments"][0]["InstanceId"] == instance[4]
    body = get(client, viewer, the(demo, "security_group", "prod-app"))
    assert {i["name"] for i in group(body, "instances")} == {
        "prod-app-1", "prod-app-2", "prod-batch-worker", "prod-analytics-idle", "prod-ad-dc-1", "prod-worker-1"}
    assert names(group(body, "allows traffic from groups")) == {("security_group", "prod-web"),
                                                               ("security_group", "prod-bastion")}
    assert names(group(body, "groups that allow traffic from it")) == {("security_group", "prod-db")}


def test_a_load_balancer_shows_its_targets_through_its_target_group(client, viewer, demo):
    body = get(client, viewer, the(demo, "elbv2_load_balancer", "prod-web-alb"))
    assert {(i["name"], i["via"]["name"]) for i in group(body, "targets (through its target groups)")} == {
        ("prod-web-1", "prod-web-tg"), ("prod-web-2", "prod-web-tg"), ("prod-web-3", "prod-web-tg")}
    assert names(group(body, "subnets")) == {("subnet", "prod-public-a"), ("subnet", "prod-public-b")}


def test_a_kubernetes_pod_shows_its_node_and_owner_and_a_record_what_it_resolves_to(client, viewer, demo):
    body = get(client, viewer, checkout_pod(demo))
    assert body["provider"] == "kubernetes" and body["cluster"] == "prod-eks" and body["namespace"] == "shop"
    assert body["versions"] == [] and body["changes"] == [] and body["metrics"] is None
    assert [i["resource_type"] for i in group(body, "node")] == ["k8s_node"]
    owner = group(body, "owner")
    assert owner[0]["resource_type"] == "k8s_replicaset"
    assert owner[0]["resource_id"].startswith("prod-eks/shop/checkout-")
    record = get(client, viewer, the(demo, "route53_record", "www.shop.example.com."))
    assert names(group(record, "resolves to")) == {("elbv2_load_balancer", "prod-web-alb")}
    assert names(group(record, "hosted zone")) == {("route53_zone", "shop.example.com.")}


# --- configuration ---------------------------------------------------------------------------------------

def test_a_lambdas_configuration_shows_its_variables_redacted_and_never_the_seeded_secrets(client, viewer, demo):
    row = the(demo, "lambda_function", "prod-thumbnailer")
    body = get(client, viewer, row)
    assert body["config"]["Environment"]["Variables"] == {name: "[redacted]" for name in
                                                          seeded_secrets.LAMBDA_ENVIRONMENT}
    page = client.get(path(row[0], *row[2:5], api=False), headers=viewer)
    assert page.status_code == 200
    for text in (json.dumps(body), unescape(page.text)):
        assert not [secret for secret in seeded_secrets.ALL if secret in text]
    pod = json.dumps(get(client, viewer, checkout_pod(demo)))  # container env values on the same estate
    assert '"DB_PASSWORD", "value": "[redacted]"' in pod and not [s for s in seeded_secrets.ALL if s in pod]


def test_a_lake_written_before_redaction_still_shows_no_secret_and_markup_shows_as_text(client, viewer, demo,
                                                                                       demo_world, tmp_path,
                                                                                       monkeypatch):
    """A lake row holding the secrets (as a lake written before redaction existed would) and markup."""
    row = the(demo, "lambda_function", "prod-thumbnailer")
    body = get(client, viewer, row)
    raw = {**body["config"], "Environment": {"Variables": dict(seeded_secrets.LAMBDA_ENVIRONMENT)},
           "Description": "<script>alert(1)</script> postgres://app:" + seeded_secrets.URL_PASSWORD + "@db/x",
           "<b>key</b>": 1}
    lake = Lake(str(tmp_path / "old-lake"))
    partition = lake.aws_partition("lambda_function", datetime.fromisoformat(body["config_snapshot_date"]).date(),
                                   PROD, "us-east-1")
    lake.write_table(partition, pa.table({"resource_id": [row[4]], "raw": [json.dumps(raw)]}))
    monkeypatch.setenv("INVENTORY_LAKE_URI", lake.uri)
    old = get(client, viewer, row)
    assert old["config"]["Environment"]["Variables"] == {name: "[redacted]" for name in
                                                         seeded_secrets.LAMBDA_ENVIRONMENT}
    assert old["config"]["Description"] == "<script>alert(1)</script> postgres://app:[redacted]@db/x"
    page = client.get(path(row[0], *row[2:5], api=False), headers=viewer).text
    assert "<script>alert(1)</script>" not in page and "<b>key</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;key&lt;/b&gt;" in page
    assert not [secret for secret in seeded_secrets.ALL if secret in unescape(page)]


def test_the_page_shows_the_configuration_as_collapsible_json_without_inline_script_or_style(client, viewer, demo):
    row = the(demo, "ec2_instance", "prod-app-2")
    page = client.get(path(row[0], *row[2:5], api=False), headers=viewer)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<details open><summary><span class="size">{' in html  # the top object, open
    assert re.search(r'<details open><summary><span class="key">BlockDeviceMappings</span>', html)
    assert re.search(r'<span class="key">InstanceType</span>: <span class="value string">&#34;m5.xlarge&#34;</span>',
                     html)
    assert html.count("<details") == html.count("</details>")
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert 'src="/inventory/static/resource.js"' in html and 'href="/inventory/static/resource.css"' in html
    for static in ("resource.js", "resource.css"):
        assert client.get(f"/inventory/static/{static}", headers=viewer).status_code == 200


# --- metrics, waste, freshness ---------------------------------------------------------------------------

def test_an_instance_shows_14_days_of_cpu_and_memory_as_numbers_and_a_chart(client, viewer, demo, demo_world):
    row = the(demo, "ec2_instance", "prod-app-1")
    body = get(client, viewer, row)
    metrics = body["metrics"]
    last = demo_world["days"][-1]
    assert metrics["snapshot_date"] == last.isoformat()
    window = [(last - timedelta(days=back)).isoformat() for back in range(14, 0, -1)]
    # estate._put_cpu / _put_mem: one datapoint a day, `back` days before the seeding (launch) time less 2 hours;
    # prod-app-1 is third of the prod us-east-1 instances by name, second of those whose agent sends memory
    seeded = (row[5] - timedelta(hours=2)).date()
    expected = {"CPUUtilization": lambda back: 22.0 + ((back * 7 + 2 * 5) % 40),
                "mem_used_percent": lambda back: 35.0 + ((back * 3 + 1 * 11) % 45)}
    series = {(s["metric"], s["statistic"]): s for s in metrics["series"]}
    assert set(series) == {(m, stat) for m in expected for stat in ("Average", "Maximum")}
    for (metric, _statistic), entry in series.items():
        assert [p["date"] for p in entry["points"]] == window
        values = {p["date"]: p["value"] for p in entry["points"] if p["value"] is not None}
        assert len(values) >= 13  # 14 unless the world was seeded in the first 2 hours of a UTC day
        assert values == {day: expected[metric]((seeded - datetime.fromisoformat(day).date()).days)
                          for day in values}
        assert entry["days_with_data"] == len(values) and entry["unit"] == "percent"
    page = client.get(path(row[0], *row[2:5], api=False), headers=viewer).text
    assert page.count("<svg") == 2 and "CPU (%)" in page and "Memory used (%)" in page
    cpu = series[("CPUUtilization", "Average")]["points"][-1]
    assert f"<td>{cpu['date']}</td><td class=\"number\">{cpu['value']:.2f}</td>" in page
    rds = get(client, viewer, the(demo, "rds_instance", "prod-orders-db"))
    assert {s["metric"] for s in rds["metrics"]["series"]} == {"CPUUtilization", "DatabaseConnections"}


def test_a_stopped_instance_shows_its_waste_in_dollars_and_its_volume_the_finding_it_is_in(client, viewer, demo):
    row = the(demo, "ec2_instance", "prod-batch-worker")
    body = get(client, viewer, row)
    [finding] = body["waste"]
    # 200 GiB gp2 at $0.10 and 8 GiB gp3 at $0.08 a GB-month, us-east-1 (include/config/seeds)
    assert (finding["category"], finding["est_monthly_usd"], finding["est_annual_usd"],
            finding["about_this_resource"]) == ("stopped_instance", 20.64, 247.68, True)
    assert finding["days_wasteful"] == 45 and "stopped 45 days" in finding["detail"]
    page = client.get(path(row[0], *row[2:5], api=False), headers=viewer).text
    assert "$20.64" in page and "$247.68" in page
    volume = get(client, viewer, next(v for v in named(demo, "ebs_volume", "prod-batch-worker-vol")))
    included = [f for f in volume["waste"] if not f["about_this_resource"]]
    assert [(f["category"], f["resource_id"]) for f in included] == [("stopped_instance", row[4])]


def test_a_source_whose_role_was_denied_shows_not_fresh_and_a_healthy_one_fresh(client, viewer, demo, demo_world):
    body = get(client, viewer, the(demo, "ec2_instance", "dev-sandbox-1"))
    fresh = body["freshness"]
    assert (fresh["status"], fresh["is_fresh"], fresh["is_stale"], fresh["last_attempt_status"]) == (
        "failing", False, True, "failed")
    assert "AccessDenied" in fresh["last_error"] and fresh["last_ok_snapshot_date"] == demo_world["days"][1].isoformat()
    assert datetime.fromisoformat(fresh["last_success_at"]).utcoffset() == timedelta(0)
    assert body["is_stale"] is True
    page = client.get(path("ec2_instance", DEV, "us-east-1", body["resource_id"], api=False), headers=viewer).text
    assert "source not fresh (failing)" in page
    prod = get(client, viewer, the(demo, "ec2_instance", "prod-app-2"))["freshness"]
    assert (prod["status"], prod["is_fresh"]) == ("fresh", True)
    stale_cluster = get(client, viewer, next(r for r in demo["current"] if r[0] == "k8s_node" and r[2] == STAGING))
    assert stale_cluster["freshness"]["is_fresh"] is False and stale_cluster["freshness"]["source"] == "cluster/stg-eks"


# --- paths, login, bounds ---------------------------------------------------------------------------------

def test_ids_with_slashes_bars_and_colons_reach_their_pages_encoded_or_not(client, viewer, demo):
    record = the(demo, "route53_record", "www.shop.example.com.")
    alb = the(demo, "elbv2_load_balancer", "prod-web-alb")
    log_group = the(demo, "log_group", "/app/prod/web")
    for url in (f"/inventory/api/resources/route53_record/{PROD}/global/www.shop.example.com.|A",
                f"/inventory/api/resources/route53_record/{PROD}/global/www.shop.example.com.%7CA",
                f"/inventory/api/resources/elbv2_load_balancer/{PROD}/us-east-1/{alb[4]}",
                f"/inventory/api/resources/elbv2_load_balancer/{PROD}/us-east-1/{quote(alb[4], safe='')}",
                f"/inventory/api/resources/k8s_ingress/{PROD}/us-east-1/prod-eks/shop/web",
                f"/inventory/api/resources/k8s_ingress/{PROD}/us-east-1/prod-eks%2Fshop%2Fweb",
                f"/inventory/api/resources/log_group/{PROD}/us-east-1/%2Fapp%2Fprod%2Fweb"):
        answer = client.get(url, headers=viewer)
        assert answer.status_code == 200, (url, answer.text)
    assert record[4] == "www.shop.example.com.|A" and log_group[4] == "/app/prod/web"
    body = get(client, viewer, log_group)
    assert body["href"] == f"/inventory/resources/log_group/{PROD}/us-east-1/%2Fapp%2Fprod%2Fweb"
    assert client.get(body["href"], headers=viewer).status_code == 200


def test_without_a_login_the_api_answers_401_and_the_page_sends_to_the_login(airflow_api, demo):
    row = the(demo, "ec2_instance", "prod-app-2")
    answer = airflow_api.get(path(row[0], *row[2:5]), headers={"Accept": "application/json"})
    assert (answer.status_code, answer.json()) == (401, {"detail": "Not authenticated"})
    page = airflow_api.get(path(row[0], *row[2:5], api=False), headers={"Accept": "text/html"},
                           follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/login?next=%2Finventory%2Fresources")


def test_unknown_types_resources_and_paths_are_404(client, viewer, demo):
    row = the(demo, "ec2_instance", "prod-app-2")
    for url, detail in (
            (f"/inventory/api/resources/ec2_instancex/{PROD}/us-east-1/{row[4]}", "no resource type 'ec2_instancex'"),
            (f"/inventory/api/resources/k8s_event/{PROD}/us-east-1/{row[4]}", "no resource type 'k8s_event'"),
            (f"/inventory/api/resources/ec2_instance_metric/{PROD}/us-east-1/{row[4]}", "no resource type"),
            (f"/inventory/api/resources/ec2_instance/{STAGING}/us-east-1/{row[4]}", "the inventory has no ec2_"),
            (f"/inventory/api/resources/ec2_instance/{PROD}/eu-west-1/{row[4]}", "the inventory has no ec2_"),
            (f"/inventory/api/resources/ec2_instance/{PROD}/us-east-1/{row[4]}x", "the inventory has no ec2_"),
            (f"/inventory/api/resources/ec2_instance/{PROD}/us-east-1/{row[4][:-1]}_", "the inventory has no"),
            (f"/inventory/api/resources/ec2_instance/{PROD}/us-east-1/i-%25", "the inventory has no"),
            (f"/inventory/api/resources/ec2_instance/{PROD}/us-east-1", "the path names no resource"),
            (f"/inventory/api/resources/ec2_instance/{PROD}/us-east-1/", "the path names no resource"),
            (f"/inventory/api/resources/ec2_instance/{PROD}", "Not Found"),
            (f"/inventory/api/resources/ec2_instance//us-east-1/{row[4]}", "Not Found"),
            (f"/inventory/resources/nothing/{PROD}/us-east-1/x", "no resource type 'nothing'")):
        answer = client.get(url, headers=viewer)
        assert answer.status_code == 404, (url, answer.text)
        assert detail in answer.json()["detail"], (url, answer.json())


HOSTILE = ["'", "--", ";", "%", "_", "' or '1'='1", "x'; drop table marts.inventory_current; --", "ü日本",
           "<script>alert(1)</script>", "a" * 600]


@pytest.mark.parametrize("segment", range(4))
def test_hostile_text_in_any_segment_matches_nothing_and_breaks_nothing(client, viewer, demo, segment):
    row = the(demo, "ec2_instance", "prod-app-2")
    for text in HOSTILE:
        parts = ["ec2_instance", PROD, "us-east-1", row[4]]
        parts[segment] = text
        url = "/inventory/api/resources/" + "/".join(quote(part, safe="") for part in parts)
        answer = client.get(url, headers=viewer)
        bounded = segment < 3 and len(text) > 64
        assert answer.status_code == (422 if bounded else 404), (segment, text, answer.text)
        assert "detail" in answer.json()
        if answer.status_code == 404 and segment == 0 and "/" not in text:  # (%2F is a slash to the router)
            assert answer.json()["detail"].startswith(f"no resource type {text!r}")
    too_long = client.get(f"/inventory/api/resources/ec2_instance/{PROD}/us-east-1/{'i' * 2049}", headers=viewer)
    assert too_long.status_code == 422
    assert client.get(path(row[0], *row[2:5]), headers=viewer).status_code == 200  # the warehouse is unharmed


# --- the configuration reader, on a local and an S3 lake ----------------------------------------------------

@pytest.fixture(scope="module")
def s3_emulator():
    from cloud_inventory.demo.emulator import Emulator

    with Emulator(in_process=True) as emulator:
        yield emulator


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path, monkeypatch):
    if request.param == "local":
        return Lake(str(tmp_path / "lake"))
    import boto3

    for key, value in request.getfixturevalue("s3_emulator").env().items():
        monkeypatch.setenv(key, value)
    bucket = f"resource-page-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return Lake(f"s3://{bucket}/lake")


def test_the_reader_takes_the_one_row_of_the_resource_from_its_partition(lake, monkeypatch):
    from cloud_inventory import lake as lake_module
    from cloud_inventory.explorer.queries import configuration
    from cloud_inventory.lake import parquet_sink

    monkeypatch.setattr(lake_module, "ROW_GROUP_ROWS", 100)  # several row groups, the wanted row in a later one
    day = date(2026, 3, 14)
    schema = pa.schema([("resource_id", pa.string()), ("raw", pa.string())])
    path = lake.aws_partition("ec2_instance", day, PROD, "us-east-1")
    with parquet_sink(lake, path, schema) as sink:
        sink.write([{"resource_id": f"i-{n:05d}", "raw": json.dumps({"InstanceId": f"i-{n:05d}", "n": n})}
                    for n in range(1000)])
    resource = {"provider": "aws", "resource_type": "ec2_instance", "account_id": PROD, "source_region": "us-east-1",
                "resource_id": "i-00777", "config_snapshot_date": day}
    assert configuration.read(lake, resource) == {"InstanceId": "i-00777", "n": 777}
    with pytest.raises(configuration.ConfigurationMissing, match="has no row for it"):
        configuration.read(lake, {**resource, "resource_id": "i-99999"})
    with pytest.raises(configuration.ConfigurationMissing, match="no snapshot of it dated 2026-03-13"):
        configuration.read(lake, {**resource, "config_snapshot_date": day - timedelta(days=1)})
    # a Kubernetes object of a kind without a table of its own: the dump's file of table `other`, by kind
    dump_at = datetime(2026, 3, 14, 6, 15, tzinfo=timezone.utc)
    other = lake.k8s_dump_file("other", day, "prod-eks", "20260314T061500Z")
    lake.write_table(other, pa.table({
        "resource_id": ["shop/web", "shop/web"], "kind": ["HorizontalPodAutoscaler", "PodDisruptionBudget"],
        "raw": [json.dumps({"kind": "HorizontalPodAutoscaler"}), json.dumps({"kind": "PodDisruptionBudget"})]}))
    budget = {"provider": "kubernetes", "resource_type": "k8s_poddisruptionbudget", "cluster": "prod-eks",
              "resource_id": "prod-eks/shop/web", "config_snapshot_date": day}
    assert configuration.read(lake, budget, dump_at) == {"kind": "PodDisruptionBudget"}


def test_the_openapi_document_describes_the_resource_route(client, viewer):
    document = client.get("/inventory/openapi.json", headers=viewer).json()
    route = document["paths"]["/api/resources/{resource_type}/{account_id}/{region}/{resource_id}"]["get"]
    assert route["tags"] == ["resource"]
    assert {p["name"]: p["schema"].get("maxLength") for p in route["parameters"]} == {
        "resource_type": 64, "account_id": 64, "region": 64, "resource_id": 2048}
