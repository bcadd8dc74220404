"""`python -m cloud_inventory find|changes|rightsizing|sql`: what it prints (a table, JSON or CSV with the explorer API's fields),
exit codes, a reader that goes away (`| head`), and the sandbox: read-only, no file, network, extension or settings
access. The sandbox and sql on a small crafted warehouse; find, changes and rightsizing on the demo world's
warehouse (explorer/test_cli_agreement.py: rightsizing's JSON is the API's rows)."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta

import duckdb
import pytest

from cloud_inventory.cli import main, normalise
from cloud_inventory.plain import csv_cell

# The explorer's search answer, a contract (README, "The inventory explorer"): the fields of each match.
SEARCH_FIELDS = ["account_id", "account_name", "environment", "team", "region", "resource_type", "resource_id",
                 "name", "state", "matched_on", "via"]
CHANGE_FIELDS = ["query", "resolved_from", "account_id", "account_name", "region", "resource_type", "resource_id",
                 "name", "changed_at", "snapshot_date", "previous_snapshot_date", "field", "change_kind", "old_value",
                 "new_value"]


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
            ('ec2_instance', 'i-0abc', '111111111111', 'prod', 'us-east-1', 'app-1', current_date, current_date - 1,
             'instance_type', 'modified', 'm5.large', 'm5.xlarge', current_date::timestamptz))
            t(resource_type, resource_id, account_id, account_name, region, name, snapshot_date,
              previous_snapshot_date, field, change_kind, old_value, new_value, changed_at)""")
        con.execute("create view marts.lookup_counts as select account_id, count(*) as n "
                    "from marts.resource_lookup group by all")
    monkeypatch.setenv("INVENTORY_WAREHOUSE_PATH", str(path))
    return path


@pytest.fixture
def cli(demo_warehouse, capsys):
    """`main` on the demo world's warehouse: (exit status, what it printed)."""
    def run(*args: str) -> tuple[int, str]:
        code = main(["--warehouse", str(demo_warehouse), *args])
        return code, capsys.readouterr().out
    return run


@pytest.mark.parametrize("pasted, stored", [
    ("10.0.1.17", "10.0.1.17"), ("Shop.Example.COM.", "shop.example.com"),
    ("https://shop.example.com/cart?x=1", "shop.example.com"),
    ("dualstack.web-123.us-east-1.elb.amazonaws.com", "web-123.us-east-1.elb.amazonaws.com"),
    ("arn:aws:ec2:us-east-1:111111111111:instance/i-0ABC", "arn:aws:ec2:us-east-1:111111111111:instance/i-0abc"),
])
def test_normalise_what_people_paste(pasted, stored):
    assert normalise(pasted) == stored


def test_find_prints_where_it_lives_and_what_a_record_resolves_to(cli):
    code, out = cli("find", "https://WWW.shop.example.com/", "PROD-APP-2")
    assert code == 0
    lines = out.splitlines()
    record = lines.index("  account_id=111111111111, account_name=prod, environment=prod, team=platform, region=global, "
                         "resource_type=route53_record, resource_id=www.shop.example.com.|A, "
                         "name=www.shop.example.com., matched_on=route53_record")
    block = lines[record + 1:next((i for i in range(record + 1, len(lines)) if lines[i].startswith("  account_id=")),
                                   len(lines))]
    via = [line for line in block if line.startswith("      via: ")]  # the path, breadth first
    assert "resource_type=elbv2_load_balancer" in via[0] and "resource_type=elbv2_target_group" in via[1]
    assert {line.split("name=")[1].split(",")[0] for line in via[2:]} == {"prod-web-1", "prod-web-2", "prod-web-3"}
    assert re.search(r"^  account_id=111111111111, account_name=prod, environment=prod, team=platform, "
                     r"region=us-east-1, resource_type=ec2_instance, resource_id=i-\w+, name=prod-app-2, "
                     r"state=running, matched_on=name_tag$", out, re.MULTILINE)


def test_find_exits_1_when_something_is_not_found(cli):
    code, out = cli("find", "10.9.9.9", "prod-app-2")
    assert code == 1
    assert "10.9.9.9: 0 match(es)" in out and "prod-app-2: 1 match(es)" in out


def test_find_as_json_is_the_search_api_answer_one_a_line(cli):
    code, out = cli("find", "--format", "json", "https://www.shop.example.com/", "prod-app-2", "10.9.9.9")
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [answer["query"] for answer in answers] == [
        "https://www.shop.example.com/", "prod-app-2", "10.9.9.9"]
    assert answers[2]["matches"] == []
    for match in answers[0]["matches"] + answers[1]["matches"]:
        assert set(SEARCH_FIELDS) <= set(match) and isinstance(match["via"], list)
    record = next(m for m in answers[0]["matches"] if m["resource_type"] == "route53_record")
    assert (record["account_id"], record["environment"], record["via"][0]["resource_type"]) == (
        "111111111111", "prod", "elbv2_load_balancer")
    (instance,) = answers[1]["matches"]
    assert (instance["name"], instance["state"], instance["via"]) == ("prod-app-2", "running", [])


def test_find_as_csv_has_the_api_fields_one_row_per_match(cli):
    identifiers = ["https://www.shop.example.com/", "prod-app-2", "10.9.9.9"]
    answers = [json.loads(line) for line in cli("find", "--format", "json", *identifiers)[1].splitlines()]
    code, out = cli("find", "--format", "csv", *identifiers)
    reader = csv.DictReader(io.StringIO(out))
    assert code == 1 and reader.fieldnames == ["query", *SEARCH_FIELDS]
    assert list(reader) == [{"query": answer["query"], **{key: csv_cell(match[key]) for key in SEARCH_FIELDS}}
                            for answer in answers for match in answer["matches"]]
    assert "route53_record" in out  # the rows are there


@pytest.mark.parametrize("identifier", ["' or 1=1 --", "x'; drop table marts.resource_lookup; --", "%", "_",
                                        "ünïcødé-☃", "a" * 512])
def test_find_takes_any_text_as_a_value(cli, identifier):
    code, out = cli("find", "--format", "json", identifier)
    assert code == 1 and json.loads(out)["matches"] == []


@pytest.mark.parametrize("args, message", [
    (["find", "a" * 513], "identifiers are at most 512"), (["find", " "], "an empty identifier"),
    (["changes", "a" * 513], "identifiers are at most 512"), (["find", "--limit", "0", "x"], "from 1 to 1000"),
    (["find", "--limit", "1001", "x"], "from 1 to 1000"), (["find", "--format", "xml", "x"], "invalid choice"),
    (["rightsizing", "--recommendation", "shrink"], "invalid choice"),
    (["rightsizing", "--region", "a" * 513], "at most 512")])
def test_bad_arguments_are_refused_saying_which(warehouse, capsys, args, message):
    with pytest.raises(SystemExit) as exit_status:
        main(args)
    assert exit_status.value.code == 2 and message in capsys.readouterr().err


def test_changes_as_json_and_csv_have_the_marts_fields(cli, demo_world):
    day1, day2 = demo_world["days"][:2]
    code, out = cli("changes", "--format", "json", "PROD-APP-2")
    (change,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and list(change) == CHANGE_FIELDS
    changed_at = datetime.fromisoformat(change.pop("changed_at"))
    assert changed_at.utcoffset() == timedelta(0)
    assert re.fullmatch(r"i-\w+", change.pop("resource_id"))
    assert change == {"query": "PROD-APP-2", "resolved_from": None, "account_id": "111111111111",
                      "account_name": "prod", "region": "us-east-1", "resource_type": "ec2_instance",
                      "name": "prod-app-2", "snapshot_date": day2.isoformat(),
                      "previous_snapshot_date": day1.isoformat(), "field": "instance_type", "change_kind": "modified",
                      "old_value": "m5.large", "new_value": "m5.xlarge"}

    code, out = cli("changes", "--format", "csv", "PROD-APP-2", "10.9.9.9")
    reader = csv.DictReader(io.StringIO(out))
    (row,) = list(reader)
    assert code == 1 and reader.fieldnames == CHANGE_FIELDS  # 10.9.9.9 is nowhere
    assert datetime.fromisoformat(row.pop("changed_at")) == changed_at and row.pop("resource_id").startswith("i-")
    assert row == {**{key: str(value) for key, value in change.items()}, "resolved_from": ""}


def test_rightsizing_prints_the_demos_findings_with_dollars(cli):
    code, out = cli("rightsizing")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["account_name", "region", "resource_type", "resource_name"]
    assert lines[-1] == "(3 rows)"
    search = next(line for line in lines if "prod-eu-search-1" in line)
    assert "downsize" in search and "m5.2xlarge" in search and "m5.xlarge" in search and "156.22" in search
    code, out = cli("rightsizing", "--format", "csv", "--recommendation", "needs memory data")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert (row["resource_name"], row["monthly_saving_usd"], row["unpriced_reason"]) == (
        "prod-eu-etl-1", "", "memory unknown: no size proposed")
    code, out = cli("rightsizing", "--account-id", "333333333333")
    assert code == 0 and out.splitlines()[-1] == "(0 rows)"


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


def test_sql_json_writes_numbers_as_numbers_and_times_in_iso_8601_utc(warehouse):
    """On a machine whose local time is not UTC (DuckDB gives times in local time)."""
    query = ("select 12.50::decimal(10, 2) as dollars, 3::decimal(18, 0) as count, 2.5::double as ratio, "
             "{'monthly': 1.25::decimal(9, 2), 'tags': ['a']} as nested, "
             "timestamptz '2026-12-07 10:00:00+02' as at, date '2026-12-07' as day, true as ok, null as nothing")

    def sql(output_format: str) -> str:
        result = subprocess.run([sys.executable, "-m", "cloud_inventory", "sql", "--format", output_format, query],
                                capture_output=True, text=True, env={**os.environ, "TZ": "Asia/Tokyo"})
        assert result.returncode == 0, result.stderr
        return result.stdout

    out = sql("json")
    assert json.loads(out) == {"dollars": 12.5, "count": 3, "ratio": 2.5, "nested": {"monthly": 1.25, "tags": ["a"]},
                               "at": "2026-12-07T08:00:00+00:00", "day": "2026-12-07", "ok": True, "nothing": None}
    assert '"count": 3,' in out  # an integral DECIMAL is an integer
    assert sql("csv").splitlines()[1] == \
        '12.5,3,2.5,"{""monthly"": 1.25, ""tags"": [""a""]}",2026-12-07T08:00:00+00:00,2026-12-07,true,'


# A reader that goes away ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("output_format, first_line", [("table", "range"), ("json", '{"range": 0}'), ("csv", "range")])
def test_sql_into_head_ends_quietly(warehouse, output_format, first_line):
    result = subprocess.run(["bash", "-c", 'set -o pipefail; "$0" -m cloud_inventory sql --format "$1" '
                                           '"select * from range(100000)" | head -1', sys.executable, output_format],
                            capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, first_line + "\n", "")


@pytest.mark.parametrize("args", [["find", "www.shop.example.com", "prod-app-2"],
                                  ["find", "--format", "json", "www.shop.example.com"],
                                  ["changes", "--format", "csv", "prod-app-2"]])
def test_find_and_changes_into_a_closed_pipe_end_quietly(demo_warehouse, args):
    child = subprocess.Popen([sys.executable, "-m", "cloud_inventory", "--warehouse", str(demo_warehouse), *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before the command writes its first line
    stderr = child.stderr.read().decode()
    assert (child.wait(), stderr) == (0, "")


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
    result = subprocess.run([sys.executable, "-m", "cloud_inventory", "changes", "10.0.1.17"], capture_output=True,
                            text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0 and "ec2_instance i-0abc" in result.stdout, result.stderr
