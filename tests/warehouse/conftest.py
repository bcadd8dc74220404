"""Building the demo world (tests/conftest.py's `demo_world`) with only the models a test is about."""
from __future__ import annotations

import os
import shutil
from pathlib import Path


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


def build_world(demo_world: dict, tmp_path: Path, *keep: str, warehouse: str = "warehouse.duckdb"):
    """Build the world's lake with the staging models and the `keep` globs into tmp_path/<warehouse>."""
    from cloud_inventory import settings as inventory_settings
    from cloud_inventory.warehouse.runner import build

    previous = {name: os.environ.get(name) for name in ("INVENTORY_WAREHOUSE_PATH",)}
    os.environ["INVENTORY_WAREHOUSE_PATH"] = str(tmp_path / warehouse)
    try:
        result = build(inventory_settings.load(), sql_dir=model_folder(tmp_path, *keep))
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return result
