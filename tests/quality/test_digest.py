"""The quality digest's grouping: one line per status, account, region and error, however far apart (to the
microsecond) the sources turned bad."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cloud_inventory.quality.digest import Digest

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
TYPES = ["ec2_instance", "ebs_volume", "vpc", "subnet", "security_group", "rds_instance", "log_group", "nat_gateway",
         "lambda_function", "elbv2_load_balancer"]


def source(account: str, region: str, resource_type: str, *, status: str = "failing", since: datetime | None = T0,
           error: str | None = "AssumeRole.AccessDenied: role denied", cluster: str | None = None,
           last_success: datetime | None = T0 - timedelta(days=1)) -> dict:
    return {"status": status, "account_name": f"name-{account[:1]}", "account_id": account, "region": region,
            "resource_type": resource_type, "cluster": cluster, "status_since": since, "last_error": error,
            "last_success_at": last_success, "age_minutes": None if last_success is None else 1440.0,
            "threshold_minutes": 2160}


def failing_estate() -> list[dict]:
    """6 failing (account, region) sources of 10 types each, each type failing a few microseconds after the last."""
    rows = []
    for account in ("111111111111", "222222222222", "333333333333"):
        for region in ("us-east-1", "eu-west-1"):
            rows += [source(account, region, t, since=T0 + timedelta(microseconds=17 * n)) for n, t in enumerate(TYPES)]
    return rows


def test_sources_failing_microseconds_apart_are_one_line_per_account_region_and_error():
    groups = Digest(sources=failing_estate()).groups()
    assert len(groups) == 6
    assert {(g["account_id"], g["region"]) for g in groups} == {
        (a, r) for a in ("111111111111", "222222222222", "333333333333") for r in ("us-east-1", "eu-west-1")}
    assert all(g["count"] == 10 and g["status_since"] == T0 and g["what"] == ", ".join(sorted(TYPES))
               for g in groups)


def test_another_error_or_status_in_the_same_account_and_region_is_its_own_line():
    rows = failing_estate() + [
        source("111111111111", "us-east-1", "s3_bucket", error="ThrottlingException: Rate exceeded"),
        source("111111111111", "us-east-1", "route53_zone", status="stale", error=None,
               since=T0 + timedelta(hours=2), last_success=T0 - timedelta(hours=40)),
        source("111111111111", "us-east-1", "cloudfront_distribution", status="stale", error=None,
               since=T0 + timedelta(hours=2, microseconds=3), last_success=T0 - timedelta(hours=39))]
    groups = Digest(sources=rows).groups()
    assert len(groups) == 8
    stale = [g for g in groups if g["status"] == "stale"]
    assert [(g["what"], g["count"], g["status_since"], g["last_success_at"]) for g in stale] == [
        ("cloudfront_distribution, route53_zone", 2, T0 + timedelta(hours=2), T0 - timedelta(hours=40))]
    throttled = [g for g in groups if "Throttling" in (g["last_error"] or "")]
    assert [(g["what"], g["count"]) for g in throttled] == [("s3_bucket", 1)]


def test_clusters_of_one_account_and_region_share_a_line_apart_from_its_aws_types():
    rows = [source("222222222222", "us-east-1", "k8s_dump", status="never", since=T0, error=None, cluster=name,
                   last_success=None) for name in ("stg-eks", "batch-eks")]
    rows += [source("222222222222", "us-east-1", "vpc", status="never", since=T0, error=None, last_success=None)]
    groups = Digest(sources=rows).groups()
    assert sorted((g["what"], g["count"]) for g in groups) == [("cluster batch-eks, cluster stg-eks", 2), ("vpc", 1)]
    html = Digest(sources=rows).html(T0)
    assert html.count("<tr>") == 3 and "(2 clusters)" in html
