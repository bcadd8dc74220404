"""`python -m cloud_inventory find|changes|sql` on a small crafted warehouse: what it prints, exit codes, and the
sandbox: read-only, no file, network, extension or settings access."""
from __future__ import annotations

import json
import os
import re
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
        con.execute("""create table marts.resource_changes as select * from (values
            ('ec2_instance', 'i-0abc', '111111111111', 'us-east-1', current_date, current_date - 1,
             'instance_type', 'modified', 'm5.large', 'm5.xlarge', current_date::timestamptz))
            t(resource_type, resource_id, account_id, region, snapshot_date, previous_snapshot_date, field,
              change_kind, old_value, new_value, changed_at)""")
        con.execute("create view marts.lookup_counts as select account_id, count(*) as n "
                    "from marts.resource_lookup group by all")
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


def test_sql_json_writes_numbers_as_numbers_and_times_in_utc(warehouse, capsys):
    assert main(["sql", "--format", "json", """
        select 12.50::decimal(12, 2) as dollars, 3::decimal(14, 2) as whole, 170141183460469231731687303715884105727::hugeint as huge,
               2.5::double as ratio, 'nan'::double as nothing, date '2026-12-07' as day,
               timestamptz '2026-12-07 10:00:00+05' as at, timestamp '2026-12-07 01:02:03' as naive,
               map {'team': 'web'} as tags, [1.5::decimal(5, 2), null] as amounts"""]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row == {"dollars": 12.5, "whole": 3, "huge": 170141183460469231731687303715884105727, "ratio": 2.5,
                   "nothing": None, "day": "2026-12-07", "at": "2026-12-07T05:00:00+00:00",
                   "naive": "2026-12-07T01:02:03+00:00", "tags": {"team": "web"}, "amounts": [1.5, None]}
    assert isinstance(row["whole"], int) and isinstance(row["dollars"], float)


def test_changes_prints_what_changed(warehouse, capsys):
    assert main(["changes", "10.0.1.17"]) == 0
    out = capsys.readouterr().out
    assert "ec2_instance i-0abc (prod 111111111111, us-east-1): 1 change(s) since" in out
    assert re.search(r"instance_type\s+modified\s+m5.large\s+m5.xlarge\n", out)


def test_sql_reads_views(warehouse, capsys):
    assert main(["sql", "--format", "csv", "select * from marts.lookup_counts order by 1"]) == 0
    assert capsys.readouterr().out.split() == ["account_id,n", "111111111111,1", "222222222222,1"]


# The sandbox: each statement is refused with one line and exit 2, and leaves no trace -----------------------
REFUSED = "error: refused: the warehouse is read-only and file, network and settings access are disabled ("


@pytest.fixture
def refused(warehouse, capsys):
    """Run `sql <statement>`; assert it was refused in one line, printed nothing, and left the warehouse as it was."""
    before = warehouse.read_bytes()

    def run(statement: str) -> str:
        code = main(["sql", statement])
        out, err = capsys.readouterr()
        assert (code, out) == (2, ""), err
        assert err.startswith(REFUSED) and err.count("\n") == 1 and "Traceback" not in err, err
        assert warehouse.read_bytes() == before
        return err
    return run


@pytest.fixture
def victim(tmp_path):
    """A DuckDB file that is not the warehouse, with a table in it."""
    path = tmp_path / "victim.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table secrets as select 'hunter2' as password")
    return path


def test_copy_to_a_file_is_refused(refused, victim, tmp_path):
    before = victim.read_bytes()
    assert "Cannot access file" in refused(f"copy (select 42) to '{victim}'")
    assert victim.read_bytes() == before
    refused(f"copy marts.resource_lookup to '{tmp_path / 'out.csv'}'")
    refused(f"select 1; copy (select 42) to '{tmp_path / 'out.parquet'}' (format parquet)")
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.parquet").exists()


def test_the_reported_copy_through_python_m_leaves_the_victim_as_it_was(warehouse, victim):
    """The attack as reported: `python -m cloud_inventory sql "copy (select 42) to '<a .duckdb file>'"`."""
    before = victim.read_bytes()
    result = subprocess.run([sys.executable, "-m", "cloud_inventory", "sql", f"copy (select 42) to '{victim}'"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(REFUSED) and len(result.stderr.splitlines()) == 1, result.stderr
    assert victim.read_bytes() == before


def test_export_database_is_refused(refused, tmp_path):
    refused(f"export database '{tmp_path / 'exported'}'")
    assert not (tmp_path / "exported").exists()


def test_attach_is_refused(refused, victim, tmp_path):
    before = victim.read_bytes()
    refused(f"attach '{victim}' as other")
    refused(f"attach '{tmp_path / 'new.duckdb'}' as other")
    refused("attach ':memory:' as scratch")
    assert victim.read_bytes() == before and not (tmp_path / "new.duckdb").exists()


@pytest.mark.parametrize("reader", ["read_text", "read_csv", "read_blob", "sniff_csv"])
def test_reading_the_machines_files_is_refused(refused, reader):
    assert "/etc/passwd" in refused(f"select * from {reader}('/etc/passwd')")


def test_read_parquet_of_a_file_outside_is_refused(refused, tmp_path):
    outside = tmp_path / "outside.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select 'hunter2' as password) to '{outside}' (format parquet)")
    refused(f"select * from read_parquet('{outside}')")
    refused(f"select * from '{outside}'")  # the replacement scan on a file name
    refused(f"select * from parquet_metadata('{outside}')")


def test_glob_is_refused(refused):
    refused("select * from glob('/etc/*')")


def test_install_and_load_are_refused(refused, tmp_path):
    extension = tmp_path / "evil.duckdb_extension"
    extension.write_bytes(b"not an extension")
    refused("install httpfs")
    refused(f"install '{extension}'")
    refused("load httpfs")
    refused(f"load '{extension}'")


@pytest.mark.parametrize("statement", [
    "set enable_external_access = true", "pragma enable_external_access = true", "set lock_configuration = false",
    "set memory_limit = '1GB'", "pragma threads = 1", "set global allow_community_extensions = true",
    "set profiling_output = '/tmp/profile.json'", "call enable_logging()"])
def test_changing_a_setting_is_refused(refused, statement):
    err = refused(statement)
    assert "configuration has been locked" in err or "while database is running" in err


@pytest.mark.parametrize("statement", ["reset memory_limit", "reset enable_external_access", "reset global threads"])
def test_reset_is_refused(refused, statement):
    assert "configuration has been locked" in refused(statement)


@pytest.mark.parametrize("statement", [
    "create table marts.mine (a int)", "insert into marts.resource_lookup (identifier) values ('x')",
    "delete from marts.resource_lookup", "drop table marts.resource_lookup", "create macro marts.m(x) as x",
    "create persistent secret s (type http, bearer_token 'x')"])
def test_writes_are_refused(refused, warehouse, statement):
    refused(statement)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.resource_lookup").fetchone()[0] == 2


def test_other_errors_are_not_called_refusals(warehouse, capsys):
    assert main(["sql", "select * from marts.nothing_here"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: CatalogException: ") and "refused" not in err


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
