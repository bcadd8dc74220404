"""Building the demo world (tests/conftest.py's `demo_world`) with only the models a test is about."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest


PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"


def model_folder(root: Path, *keep: str) -> Path:
    """A model folder with the project's staging models and only the intermediate/mart files named by
    the globs in `keep` (e.g. "intermediate/int_inventory__*.sql", "marts/inventory_*.sql"), so tests of
    one mart do not depend on marts being written alongside."""
    sql = root / "sql"
    if sql.exists():
        shutil.rmtree(sql)
    (sql / "intermediate").mkdir(parents=True)
    (sql / "marts").mkdir()
    (sql / "staging").symlink_to(SQL_DIR / "staging", target_is_directory=True)
    for pattern in keep:
        for path in SQL_DIR.glob(pattern):
            (sql / path.parent.name / path.name).symlink_to(path)
    return sql


def build_world(demo_world: dict, tmp_path: Path, *keep: str, warehouse: str = "warehouse.duckdb",
                seeds_dir: Path | None = None):
    """Build the world's lake (with the world's settings, `demo_world["env"]`) with the staging models and the
    `keep` globs into tmp_path/<warehouse>; `seeds_dir` replaces the project's seeds."""
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.warehouse.runner import build

    with pytest.MonkeyPatch.context() as patch:
        for name, value in demo_world["env"].items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.setenv("INVENTORY_WAREHOUSE_PATH", str(tmp_path / warehouse))
        seeds = {"seeds_dir": seeds_dir} if seeds_dir else {}
        return build(inventory_settings.load(), sql_dir=model_folder(tmp_path, *keep), **seeds)


def rows(con, sql: str, params=()) -> list[dict]:
    """A query's rows as dicts."""
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]

