"""Seeds: the small tables models read besides the lake, bound in each build's connection.

- `seed_accounts`: the accounts file's accounts (account_id, account_name, environment, team)
- `seed_clusters`: its clusters (cluster, account_id, region, dump_interval_minutes, stale_after_minutes)
- `seed_expected_sources`: every AWS source the config expects: (account_id, region, resource_type), with
  '*' where the config says "whatever is found": `regions: all` (any region the account's manifests
  show) and AWS Organizations members (any account not listed in the file, minus the exclusions)
- `seed_<name>`: include/config/seeds/<name>.csv (prices, thresholds), read by DuckDB's CSV reader
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from cloud_inventory.accounts import AccountsConfig
from cloud_inventory.accounts import load as load_accounts
from cloud_inventory.aws.registry import types_for
from cloud_inventory.settings import Settings

ANY = "*"
CONFIG_SEEDS = ("seed_accounts", "seed_clusters", "seed_expected_sources")

_ACCOUNTS = pa.schema([("account_id", pa.string()), ("account_name", pa.string()), ("environment", pa.string()),
                       ("team", pa.string())])
_CLUSTERS = pa.schema([("cluster", pa.string()), ("account_id", pa.string()), ("region", pa.string()),
                       ("dump_interval_minutes", pa.int64()), ("stale_after_minutes", pa.int64())])
_EXPECTED = pa.schema([("account_id", pa.string()), ("account_name", pa.string()), ("region", pa.string()),
                       ("resource_type", pa.string()), ("excluded_accounts", pa.list_(pa.string()))])


def seed_names(seeds_dir: Path) -> set[str]:
    return set(CONFIG_SEEDS) | {f"seed_{path.stem}" for path in seeds_dir.glob("*.csv")}


def expected_sources(config: AccountsConfig) -> list[dict]:
    regional = [entry.name for entry in types_for("regional")]
    global_ = [entry.name for entry in types_for("global")]
    listed = sorted(account.id for account in config.accounts)
    rows = []

    def expect(account_id: str, name: str | None, regions, excluded: list[str]) -> None:
        for region in regions or (ANY,):
            rows.extend({"account_id": account_id, "account_name": name, "region": region, "resource_type": kind,
                         "excluded_accounts": excluded} for kind in regional)
        rows.extend({"account_id": account_id, "account_name": name, "region": "global", "resource_type": kind,
                     "excluded_accounts": excluded} for kind in global_)

    for account in config.accounts:
        expect(account.id, account.name, account.regions, [])
    for organization in config.organizations:
        expect(ANY, None, organization.regions, sorted(set(listed) | organization.exclude))
    return rows


def bind_seeds(con, settings: Settings, seeds_dir: Path) -> None:
    config = load_accounts(settings.accounts_file)
    con.register("seed_accounts", pa.Table.from_pylist(
        [{"account_id": a.id, "account_name": a.name, "environment": a.environment, "team": a.team}
         for a in config.accounts], schema=_ACCOUNTS))
    con.register("seed_clusters", pa.Table.from_pylist(
        [{"cluster": c.name, "account_id": c.account_id, "region": c.region,
          "dump_interval_minutes": c.dump_interval_minutes, "stale_after_minutes": c.stale_after}
         for c in config.clusters], schema=_CLUSTERS))
    con.register("seed_expected_sources", pa.Table.from_pylist(expected_sources(config), schema=_EXPECTED))
    for path in sorted(seeds_dir.glob("*.csv")):
        quoted = str(path).replace("'", "''")
        con.execute(f"create or replace temp view seed_{path.stem} as "
                    f"select * from read_csv('{quoted}', header = true)")
