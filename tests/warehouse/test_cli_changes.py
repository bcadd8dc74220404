"""`python -m cloud_inventory changes <identifier>` on the demo world's whole warehouse: what changed on the
resource a person pastes, and on what a DNS name resolves to, newest first."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from cloud_inventory.cli import main


@pytest.fixture
def changes(demo_warehouse, demo_world, capsys):
    def run(*args: str) -> tuple[int, str]:
        code = main(["--warehouse", str(demo_warehouse), "changes", *args])
        return code, capsys.readouterr().out
    return run


def table_rows(out: str) -> list[list[str]]:
    """The cells of every change row printed (split on runs of two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()
            if re.match(r"\s+\d{4}-\d{2}-\d{2}\s", line)]


def test_the_day_2_instance_type_change_by_the_instances_name(changes, demo_world):
    day1, day2 = demo_world["days"][:2]
    code, out = changes("PROD-APP-2")
    assert code == 0
    assert "ec2_instance i-" in out and "(prod 111111111111, us-east-1): 1 change(s) since" in out
    assert table_rows(out) == [[day2.isoformat(), day1.isoformat(), "instance_type", "modified", "m5.large",
                                "m5.xlarge"]]


def test_a_dns_name_shows_the_record_and_the_load_balancer_behind_it(changes):
    code, out = changes("https://www.shop.example.com/")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("  route53_record www.shop.example.com.|A (prod 111111111111, global): 0 change(s)")
    assert any(line.startswith("  which www.shop.example.com.|A resolves to: elbv2_load_balancer arn:aws:")
               and "loadbalancer/app/prod-web-alb/" in line for line in lines)
    assert any("k8s_ingress shop/web" in line and "no change history" in line for line in lines)


def test_days_bound_how_far_back_and_unknown_identifiers_exit_1(changes, demo_world):
    day3 = demo_world["days"][2]
    code, out = changes("--days", str((datetime.now(timezone.utc).date() - day3).days), "prod-app-1", "prod-app-2", "10.9.9.9")
    assert code == 1  # 10.9.9.9 is nowhere
    assert table_rows(out) == [[day3.isoformat(), demo_world["days"][1].isoformat(), "tag:team", "modified",
                                "payments", "checkout"]]  # prod-app-2's change was the day before
    assert "10.9.9.9: 0 match(es)" in out
