"""The sandboxed read-only connection (warehouse/readonly.py): its settings hold, and the whole demo warehouse
still reads through it (the CLI's tests, tests/test_cli.py, refuse each hostile statement)."""
from __future__ import annotations

import pytest

from cloud_inventory.warehouse.readonly import SANDBOX, open_readonly


def test_every_table_and_view_of_the_demo_warehouse_reads_in_the_sandbox(demo_warehouse):
    with open_readonly(demo_warehouse) as con:
        objects = con.execute("""
            select schema_name, table_name, 'table' from duckdb_tables() where not internal and not temporary
            union all
            select schema_name, view_name, 'view' from duckdb_views() where not internal and not temporary
            order by all""").fetchall()
        kinds = {(schema, kind) for schema, _, kind in objects}
        assert {("staging", "table"), ("intermediate", "view"), ("marts", "table")} <= kinds, kinds
        counts = {f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
                  for schema, name, _ in objects}
    assert counts["marts.inventory_current"] > 0 and counts["marts.resource_lookup"] > 0, counts


def test_the_sandbox_settings_are_in_effect(demo_warehouse):
    with open_readonly(demo_warehouse, threads=1) as con:
        settings = dict(con.execute("select name, value from duckdb_settings() where name in ?",
                                    [[*SANDBOX, "threads", "access_mode"]]).fetchall())
    assert settings == {**{name: str(value).lower() for name, value in SANDBOX.items()},
                        "threads": "1", "access_mode": "read_only"}


def test_the_sandbox_cannot_be_loosened_by_the_caller(tmp_path):
    (tmp_path / "w.duckdb").write_bytes(b"")
    with pytest.raises(ValueError, match="enable_external_access, lock_configuration"):
        open_readonly(tmp_path / "w.duckdb", lock_configuration=False, enable_external_access=True)
    with pytest.raises(FileNotFoundError, match="no warehouse at"):
        open_readonly(tmp_path / "missing.duckdb")
