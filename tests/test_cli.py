"""`python -m cloud_inventory find|sql` on a small crafted warehouse: what it prints, exit codes, read-only."""
from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from cloud_inventory.cli import main, normalise


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.resource_lookup as select * from (values
            ('10.0.1.17', 'private_ip', 'ec2_instance', 'i-0abc', '111111111111', 'prod', 'us-east-1', null, null),
            ('shop.example.com', 'route53_record', 'route53_record', 'Z1/shop.example.com./A', '222222222222',
             'staging', 'us-east-1', null, 'elbv2_load_balancer prod-web-alb (111111111111)'))
            t(identifier, identifier_kind, resource_type, resource_id, account_id, account_name, region, cluster,
              resolves_to)""")
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(path))
    return path


@pytest.mark.parametrize("pasted, stored", [
    ("10.0.1.17", "10.0.1.17"), ("Shop.Example.COM.", "shop.example.com"),
    ("https://shop.example.com/cart?x=1", "shop.example.com"),
    ("dualstack.web-123.us-east-1.elb.amazonaws.com", "web-123.us-east-1.elb.amazonaws.com"),
    ("arn:aws:ec2:us-east-1:111111111111:instance/i-0ABC", "arn:aws:ec2:us-east-1:111111111111:instance/i-0abc"),
])
def test_normalise_what_people_paste(pasted, stored):
    assert normalise(pasted) == stored


def test_find_prints_where_it_lives_and_what_a_record_resolves_to(warehouse, capsys):
    assert main(["find", "https://SHOP.example.com/", "10.0.1.17"]) == 0
    out = capsys.readouterr().out
    assert "https://SHOP.example.com/: 1 match(es)" in out
    assert "account_name=staging, account_id=222222222222" in out
    assert "resolves_to: elbv2_load_balancer prod-web-alb (111111111111)" in out
    assert "resource_type=ec2_instance, resource_id=i-0abc, account_name=prod" in out


def test_find_exits_1_when_something_is_not_found(warehouse, capsys):
    assert main(["find", "10.9.9.9"]) == 1
    assert "10.9.9.9: 0 match(es)" in capsys.readouterr().out


def test_sql_prints_a_table_csv_or_json(warehouse, capsys):
    assert main(["sql", "select identifier, account_id from marts.resource_lookup order by 1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "(2 rows)"
    main(["sql", "--format", "csv", "select account_id from marts.resource_lookup order by 1"])
    assert capsys.readouterr().out.split() == ["account_id", "111111111111", "222222222222"]
    main(["sql", "--format", "json", "select count(*) as n from marts.resource_lookup"])
    assert capsys.readouterr().out.strip() == '{"n": 2}'


def test_sql_is_read_only(warehouse, capsys):
    assert main(["sql", "delete from marts.resource_lookup"]) == 2
    assert "read-only" in capsys.readouterr().err.lower()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.resource_lookup").fetchone()[0] == 2


def test_a_missing_warehouse_says_how_to_build_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    assert main(["find", "x"]) == 2
    assert "no warehouse at" in capsys.readouterr().err


def test_runs_as_a_module_from_the_venv_anywhere(warehouse, tmp_path):
    """As the README shows it: the venv's Python, any folder, no PYTHONPATH (make venv puts plugins/ on its path)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "cloud_inventory", "find", "10.0.1.17"], capture_output=True,
                            text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0 and "i-0abc" in result.stdout, result.stderr
