"""The SQL models under include/sql/: found by folder, ordered by the references between them.

A model is one file, `include/sql/<layer>/<name>.sql`, built as `<layer>.<name>`. Its dependencies
are read from its SQL (parsed with sqlglot, DuckDB dialect): every table it names that is another
model (`staging.stg_aws__ebs_volumes`, or the bare name) or a source the runner provides
(`lake_aws_<type>`, `lake_k8s_<kind>`, `seed_<name>`, ...). Nothing keeps a hand-written order.

How a model is built follows its layer, unless its first lines say otherwise (`-- materialized: view`):
staging is `incremental` (rebuilt only for the snapshot dates whose lake files changed), intermediate
is `view`, marts are `table`. An `incremental` model may also read only other models: it is rebuilt from
the earliest snapshot date that changed in the lake sources beneath it (see runner.py).
"""
from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp

LAYERS = ("staging", "intermediate", "marts")
MATERIALIZATIONS = ("incremental", "table", "view")
DEFAULT_MATERIALIZATION = {"staging": "incremental", "intermediate": "view", "marts": "table"}
_CONFIG = re.compile(r"^\s*--\s*materialized\s*:\s*(\w+)\s*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ModelError(Exception):
    """A model that cannot be built; the message names the model and its file."""


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    materialized: str
    refs: frozenset[str] = field(default_factory=frozenset)  # models this one reads, as layer.name
    sources: frozenset[str] = field(default_factory=frozenset)  # runner-provided relations it reads

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"

    def fail(self, problem: str) -> ModelError:
        return ModelError(f"model {self.relation} ({self.path}): {problem}")


def _tables(sql: str, path: Path) -> set[tuple[str, str]]:
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        raise ModelError(f"{path}: not valid SQL: {str(error).splitlines()[0]}") from None
    if len(statements) != 1 or not isinstance(statements[0], (exp.Query,)):
        raise ModelError(f"{path}: a model is one SELECT query (found {len(statements)} statement(s))")
    tree = statements[0]
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = set()
    for table in tree.find_all(exp.Table):
        if table.name and not (not table.db and table.name in ctes):
            found.add((table.db.lower(), table.name.lower()))
    return found


def discover(sql_dir: Path, sources: set[str]) -> list[Model]:
    """Every model under sql_dir, in build order; ModelError naming the model and file for any problem."""
    found: dict[str, tuple[Path, str, str]] = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            name = path.stem
            if not _NAME.match(name):
                raise ModelError(f"{path}: model names are lowercase letters, digits and _")
            if name in {n for n, *_ in found.values()} or name in sources:
                raise ModelError(f"{path}: another model or source is already named {name!r}")
            found[f"{layer}.{name}"] = (path, layer, name)
    models: dict[str, Model] = {}
    by_name = {name: relation for relation, (_, _, name) in found.items()}
    for relation, (path, layer, name) in found.items():
        sql = path.read_text()
        config = _CONFIG.search(sql)
        materialized = config.group(1) if config else DEFAULT_MATERIALIZATION[layer]
        if materialized not in MATERIALIZATIONS:
            raise ModelError(f"model {relation} ({path}): unknown materialization {materialized!r}")
        refs, used_sources = set(), set()
        for schema, table in _tables(sql, path):
            target = f"{schema}.{table}" if schema else by_name.get(table)
            if target in found:
                refs.add(target)
            elif not schema and table in sources:
                used_sources.add(table)
            else:
                raise ModelError(f"model {relation} ({path}): reads {(schema + '.' if schema else '') + table}, "
                                 "which is neither a model nor a lake source")
        if materialized == "incremental" and (len(used_sources) > 1 or not (used_sources or refs)):
            raise ModelError(f"model {relation} ({path}): an incremental model reads exactly one lake source, "
                             f"or only other models (it reads {sorted(used_sources) or 'none'})")
        models[relation] = Model(name, layer, path, sql.strip().rstrip(";"), materialized,
                                 frozenset(refs), frozenset(used_sources))
    return order(models)


def order(models: dict[str, Model]) -> list[Model]:
    sorter = graphlib.TopologicalSorter({relation: model.refs for relation, model in models.items()})
    try:
        return [models[relation] for relation in sorter.static_order()]
    except graphlib.CycleError as error:
        cycle = error.args[1]
        files = ", ".join(f"{relation} ({models[relation].path})" for relation in dict.fromkeys(cycle))
        raise ModelError(f"models reference each other in a cycle: {' -> '.join(cycle)}; files: {files}") from None


def lineage(models: list[Model]) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Per model (in build order): every model beneath it and every runner-provided relation beneath it."""
    found: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for model in models:
        below, sources = set(model.refs), set(model.sources)
        for ref in model.refs:
            below |= found[ref][0]
            sources |= found[ref][1]
        found[model.relation] = (frozenset(below), frozenset(sources))
    return found

