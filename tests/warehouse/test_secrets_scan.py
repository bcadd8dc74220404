"""The secrets scan: no secret the demo seeds (demo/seeded_secrets.py) is anywhere in the demo world's output.

Scanned here: every Parquet file of the lake (data, run manifests, dump ledgers), each read through DuckDB
with every column cast to text; every table and view of every schema of the warehouse built from it; every
line logged while the world was built (tests/conftest.py keeps them, at INFO, as task logs would). The
quality DAG's digest email, its task logs and its data docs are scanned in tests/dags/test_inventory_quality.py,
where they are made. The sources are checked to hold every seeded secret first: a scan of data that never had
them would prove nothing.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cloud_inventory.demo import seeded_secrets
from cloud_inventory.redaction import MARKER


def texts_of(con: duckdb.DuckDBPyConnection, relation: str, params=()) -> list[str]:
    """Every value of every column of `relation` as text (maps, lists and structs included)."""
    rows = con.execute(f"select cast(columns(*) as varchar) from {relation}", list(params)).fetchall()
    return [value for row in rows for value in row if value is not None]


def leaks(texts: list[str]) -> dict[str, int]:
    return {value: hits for value in seeded_secrets.ALL if (hits := sum(value in text for text in texts))}


@pytest.fixture(scope="module")
def lake_texts(demo_world) -> dict[str, list[str]]:
    files = sorted(Path(demo_world["lake"].root).rglob("*.parquet"))
    with duckdb.connect() as con:
        return {str(file): texts_of(con, "read_parquet(?)", [str(file)]) for file in files}


def test_the_demo_sources_hold_every_seeded_secret(demo_world):
    assert demo_world["seeded_in_sources"] == set(seeded_secrets.ALL)


def test_no_seeded_secret_in_any_lake_file(lake_texts):
    assert len(lake_texts) > 50 and any("/raw/aws/lambda_function/" in f for f in lake_texts)
    found = {file: hits for file, texts in lake_texts.items() if (hits := leaks(texts))}
    assert not found, found


def test_the_lake_keeps_the_names_of_what_it_redacted(lake_texts):
    lambdas = [t for file, texts in lake_texts.items() if "/raw/aws/lambda_function/" in file for t in texts]
    pods = [t for file, texts in lake_texts.items() if "/raw/k8s/pod/" in file for t in texts]
    assert any(f'"DB_PASSWORD":"{MARKER}"' in t for t in lambdas)
    assert any(f'"name":"MIGRATION_TOKEN","value":"{MARKER}"' in t for t in pods)
    assert any(f"password={MARKER}" in t for file, texts in lake_texts.items() if "/raw/k8s/service/" in file
               for t in texts)


def test_no_seeded_secret_in_any_warehouse_table_or_view(demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        relations = con.execute("select table_schema, table_name from information_schema.tables "
                                "where table_catalog = current_database() order by all").fetchall()
        assert {schema for schema, _ in relations} >= {"staging", "intermediate", "marts"}
        found = {f"{schema}.{name}": hits for schema, name in relations
                 if (hits := leaks(texts_of(con, f'"{schema}"."{name}"')))}
    assert not found, found


def test_no_seeded_secret_in_what_the_build_logged(demo_world):
    assert demo_world["log"]  # the extraction and ingestion said what they did
    assert not leaks(demo_world["log"])
