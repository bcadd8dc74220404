"""Expectations over the warehouse with Great Expectations 1.x, declared here in code, one suite per table.

Staging suites are generated from the warehouse's catalog: every `staging.*` table gets the checks its
columns call for (its ids present and unique within a snapshot, account ids of 12 digits, regions from the
known set, snapshot times inside the run's window). Mart suites are written out by hand for the marts other
tools query. A mart not built yet is `skipped` (with the reason); a mart without a column a check needs is an
`error` naming the column; neither stops the other checks.

GX has no DuckDB datasource, so each table is read from the warehouse (opened read-only) into pandas and
validated through GX's pandas datasource: staging tables only over the run's window (the latest
snapshot_date in the table; for Kubernetes tables each cluster's latest dump), marts whole. Only the columns
the checks need are read, plus derived columns computed in SQL (hours between snapshot_date 00:00 UTC and
the snapshot time). All checks of a table run in one validation, so GX computes them in one pass.

The GX context is ephemeral (stores in memory, no files besides the Data Docs), so repeated runs leave
nothing behind: the Data Docs of a run are built into a sibling folder of `data_docs_dir` and then replace it
whole, so the folder always shows the latest run (open its index.html).
"""
from __future__ import annotations

import logging
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cloud_inventory.k8s.ledger import STATUSES as K8S_LEDGER_STATUSES
from cloud_inventory.manifest import STATUSES as AWS_MANIFEST_STATUSES
from cloud_inventory.pricing.dataset import STATUSES as PRICE_STATUSES

log = logging.getLogger(__name__)

STATUSES = ("pass", "fail", "error", "skipped")
ACCOUNT_ID_REGEX = r"^\d{12}$"
GLOBAL_REGION = "global"  # manifest rows of global types; staging rows of types with no region (Route 53)
WASTE_CATEGORIES = (
    "stopped_instance", "unattached_volume", "unassociated_eip", "orphaned_snapshot", "old_snapshot",
    "gp2_volume", "idle_instance", "idle_rds_instance", "idle_load_balancer", "log_group_no_retention",
    "idle_nat_gateway",
)
# An AWS snapshot filed under date D is taken while its run for D runs: from D 00:00 UTC until the end of
# that day plus this slack (late starts, retries). A Kubernetes dump's snapshot_date is its own UTC date.
WINDOW_SLACK_HOURS = 2.0
CHANGE_KINDS = ("created", "deleted", "modified", "added", "removed")
RIGHTSIZING_TYPES = ("ec2_instance", "rds_instance", "eks_nodegroup")
RIGHTSIZING_RECOMMENDATIONS = ("downsize", "needs memory data", "no smaller size")
SPIKE_KINDS = ("log_ingestion", "service_spend")
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
DOCS_SITE = "cloud_inventory"
SAMPLE = 5  # unexpected values named in observed_value
PARTIAL_UNEXPECTED = 20  # unexpected values GX keeps per check (result_format SUMMARY)


@dataclass
class CheckResult:
    """One expectation on one table, as people and the dq tables read it."""

    check: str  # expectation type and columns, e.g. "expect_column_values_to_match_regex(account_id)"
    table: str  # schema.name
    status: str  # pass, fail, error, skipped
    observed_value: str  # short: "2 unexpected values: '12345', 'abc123456789'"
    details: str | None = None


@dataclass(frozen=True)
class Derived:
    """A column computed in SQL while reading, for checks GX cannot express on the raw columns."""

    sql: str
    needs: tuple[str, ...]
    meaning: str


def _hours_after_date(column: str) -> Derived:
    return Derived(f"(epoch({column}) - epoch(cast(snapshot_date as timestamp))) / 3600.0",
                   (column, "snapshot_date"), f"hours from snapshot_date 00:00 UTC to {column}")


DERIVED: dict[str, Derived] = {
    "snapshot_at_hours_after_snapshot_date": _hours_after_date("snapshot_at"),
    "started_at_hours_after_snapshot_date": _hours_after_date("started_at"),
}


@dataclass(frozen=True)
class Check:
    """One expectation: a GX expectation class (gx.expectations.<expectation>) and its arguments."""

    expectation: str
    kwargs: Mapping[str, Any]
    purpose: str = ""  # the fault it is for, shown in the Data Docs

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation reads (derived ones included)."""
        found: list[str] = []
        for key in ("column", "column_A", "column_B"):
            if key in self.kwargs:
                found.append(self.kwargs[key])
        found.extend(self.kwargs.get("column_list", ()))
        return tuple(found)

    @property
    def needs(self) -> tuple[str, ...]:
        """The table columns the check needs (derived columns replaced by what they are computed from)."""
        needed: list[str] = []
        for column in self.columns:
            for name in DERIVED[column].needs if column in DERIVED else (column,):
                if name not in needed:
                    needed.append(name)
        return tuple(needed)

    @property
    def name(self) -> str:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", self.expectation).lower()
        return f"{snake}({', '.join(self.columns)})"

    def build(self):
        import great_expectations as gx

        kwargs = {key: list(value) if isinstance(value, tuple) else value for key, value in self.kwargs.items()}
        return getattr(gx.expectations, self.expectation)(
            **kwargs, meta={"check": self.name, **({"purpose": self.purpose} if self.purpose else {})})


@dataclass(frozen=True)
class TableSpec:
    """The suite of one table: its checks, the columns naming a row in failures, and the rows read."""

    table: str
    checks: tuple[Check, ...]
    ids: tuple[str, ...]  # the columns that name a row in failures
    window: str = "whole table"
    window_sql: str | None = None  # a `where` / `qualify` clause bounding the rows read
    problems: tuple[CheckResult, ...] = ()  # results decided without reading (unknown table shape)

    def missing(self, columns: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Check name -> the columns it needs that the table lacks."""
        present = set(columns)
        return {check.name: gap for check in self.checks
                if (gap := tuple(c for c in check.needs if c not in present))}

    def query(self, columns: Iterable[str]) -> str:
        present = set(columns)
        wanted: list[str] = [c for c in self.ids if c in present]
        derived: list[str] = []
        for check in self.checks:
            if any(c not in present for c in check.needs):
                continue
            for column in check.columns:
                target = derived if column in DERIVED else wanted
                if column not in target:
                    target.append(column)
        select = [_quote(c) for c in wanted] + [f"{DERIVED[c].sql} as {_quote(c)}" for c in derived]
        schema, name = self.table.split(".")
        return (f"select {', '.join(select) or '1 as _row'} from {_quote(schema)}.{_quote(name)}"
                + (f" {self.window_sql}" if self.window_sql else ""))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --- the checks ------------------------------------------------------------------------------------------

def not_null(column: str, purpose: str = "") -> Check:
    return Check("ExpectColumnValuesToNotBeNull", {"column": column}, purpose or f"{column} missing")


def unique(*columns: str, purpose: str = "") -> Check:
    if len(columns) == 1:
        return Check("ExpectColumnValuesToBeUnique", {"column": columns[0]}, purpose or "duplicated id")
    return Check("ExpectCompoundColumnsToBeUnique", {"column_list": tuple(columns)}, purpose or "duplicated id")


def account_id_format(column: str = "account_id", regex: str = ACCOUNT_ID_REGEX) -> Check:
    return Check("ExpectColumnValuesToMatchRegex", {"column": column, "regex": regex},
                 "an account id that is not 12 digits")


def in_set(column: str, values: Iterable[str], purpose: str) -> Check:
    return Check("ExpectColumnValuesToBeInSet", {"column": column, "value_set": tuple(sorted(values))}, purpose)


def known_region(regions: Iterable[str], column: str = "region") -> Check:
    return in_set(column, regions, "a region AWS does not have")


def between(column: str, min_value: float | None = None, max_value: float | None = None, *,
            strict_max: bool = False, purpose: str) -> Check:
    kwargs: dict[str, Any] = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    if strict_max:
        kwargs["strict_max"] = True
    return Check("ExpectColumnValuesToBeBetween", kwargs, purpose)


def in_window(column: str, max_hours: float, *, strict_max: bool = False) -> Check:
    return between(column, 0, max_hours, strict_max=strict_max,
                   purpose=f"{DERIVED[column].meaning} outside [0, {max_hours:g}{')' if strict_max else ']'} "
                           "(a snapshot filed under a date it was not taken on)")


def non_negative_usd(column: str) -> Check:
    return between(column, 0, purpose="a negative price")


# --- staging: generated from the catalog -------------------------------------------------------------------

def staging_spec(table: str, columns: list[str], regions: frozenset[str],
                 slack_hours: float = WINDOW_SLACK_HOURS) -> TableSpec:
    """The suite of one staging table, from its columns. Rules by shape:

    - Kubernetes objects (cluster, dump_at, resource_id): each cluster's latest dump; resource_id and the
      object's uid present; (cluster, kind, resource_id) and (cluster, uid) unique; the dump's time on its
      snapshot_date.
    - the Kubernetes ledger (cluster, dump_key): each cluster's latest snapshot_date; dump keys present and
      unique; status known; dump times on their snapshot_date.
    - AWS statistics (resource_id, metric_name, statistic, metric_date): the latest snapshot_date; one row per
      (account, region, resource, metric, statistic, day); snapshot_at in the run's window.
    - AWS resources (resource_id, snapshot_date): the latest snapshot_date; resource_id present and unique per
      (account_id, region); snapshot_at in the run's window.
    - the AWS run manifest (resource_type, status, snapshot_date, no resource_id): the latest snapshot_date;
      one row per (account_id, region, resource_type); status known; started_at in the run's window.
    - the Price List answers (price_key, region, status, snapshot_date; no account): the latest snapshot_date;
      one row per (price_key, region); status known; prices not negative; snapshot_at in the run's window.
    Every shape: regions from the known set (plus "global"); account ids (where there are) of 12 digits.
    """
    cols = set(columns)
    full = f"staging.{table}"
    aws_hours = 24 + slack_hours
    latest_date = "where snapshot_date = (select max(snapshot_date) from {t})".format(t=f"staging.{_quote(table)}")
    checks: list[Check]
    if {"cluster", "dump_key"} <= cols:
        ids = ("cluster", "dump_key")
        checks = [not_null("dump_key"), unique("cluster", "dump_key"),
                  in_set("status", K8S_LEDGER_STATUSES, "a ledger status the pipeline does not write"),
                  in_window("snapshot_at_hours_after_snapshot_date", 24, strict_max=True)]
        window, window_sql = ("each cluster's latest snapshot_date",
                              "qualify snapshot_date = max(snapshot_date) over (partition by cluster)")
    elif {"cluster", "dump_at", "resource_id"} <= cols:
        uid = next((c for c in columns if c.endswith("_uid")), "uid")
        key = ("cluster", "kind", "resource_id") if "kind" in cols else ("cluster", "resource_id")
        ids = ("cluster", "resource_id")
        checks = [not_null("resource_id"), not_null(uid), unique(*key), unique("cluster", uid),
                  in_window("snapshot_at_hours_after_snapshot_date", 24, strict_max=True)]
        window, window_sql = ("each cluster's latest dump",
                              "qualify dump_at = max(dump_at) over (partition by cluster)")
    elif {"resource_id", "metric_name", "statistic", "metric_date"} <= cols:
        ids = ("resource_id",)
        key = ("account_id", "region", "resource_id", *(("metric_namespace",) if "metric_namespace" in cols else ()),
               "metric_name", "statistic", "metric_date")
        checks = [not_null("resource_id"), unique(*key, purpose="a statistic twice for one resource and day"),
                  in_window("snapshot_at_hours_after_snapshot_date", aws_hours)]
        window, window_sql = "latest snapshot_date", latest_date
    elif {"resource_id", "snapshot_date"} <= cols:
        ids = ("resource_id",)
        checks = [not_null("resource_id"), unique("account_id", "region", "resource_id"),
                  in_window("snapshot_at_hours_after_snapshot_date", aws_hours)]
        window, window_sql = "latest snapshot_date", latest_date
    elif {"resource_type", "status", "snapshot_date"} <= cols:
        ids = ("account_id", "region", "resource_type")
        checks = [not_null("resource_type"), unique("account_id", "region", "resource_type"),
                  in_set("status", AWS_MANIFEST_STATUSES, "a manifest status the pipeline does not write"),
                  in_window("started_at_hours_after_snapshot_date", aws_hours)]
        window, window_sql = "latest snapshot_date", latest_date
    elif {"price_key", "region", "status", "snapshot_date"} <= cols:  # the Price List answers: no account
        checks = [not_null("price_key"), unique("price_key", "region", purpose="a price key asked twice in a run"),
                  in_set("status", PRICE_STATUSES, "a price status aws_prices does not write"),
                  non_negative_usd("usd"), known_region(regions),
                  in_window("snapshot_at_hours_after_snapshot_date", aws_hours)]
        return TableSpec(full, tuple(checks), ("price_key", "region"), "latest snapshot_date", latest_date)
    else:
        problem = CheckResult("ids present and unique", full, "error",
                              "no id rule fits this table's columns",
                              f"columns: {', '.join(columns)}; add a rule to cloud_inventory.quality.expectations")
        return TableSpec(full, (), (), problems=(problem,))
    checks += [not_null("account_id"), account_id_format(), known_region(regions)]
    return TableSpec(full, tuple(checks), ids, window, window_sql)


# --- marts: explicit -----------------------------------------------------------------------------------------

def mart_specs(regions: frozenset[str]) -> list[TableSpec]:
    """The suites of the marts other tools query by name (design.md) and of the cost marts beside them
    (rightsizing, cost_spikes, nat_gateway_traffic), whole tables."""
    account = [account_id_format(), known_region(regions)]
    categories = in_set("category", WASTE_CATEGORIES, "a waste category nobody defined")
    return [
        TableSpec("marts.inventory_current", (
            not_null("resource_id"),
            unique("resource_type", "account_id", "region", "resource_id",
                   purpose="a resource on two rows (one row per resource)"),
            *account), ("resource_type", "resource_id")),
        TableSpec("marts.inventory_history", (
            not_null("resource_id"),
            unique("resource_type", "account_id", "region", "resource_id", "version_number",
                   purpose="a version of a resource on two rows"),
            *account), ("resource_type", "resource_id")),
        TableSpec("marts.resource_changes", (
            not_null("resource_id"),
            in_set("change_kind", CHANGE_KINDS, "a change kind the model does not define"),
            *account), ("resource_type", "resource_id")),
        TableSpec("marts.waste", (
            not_null("category"), categories,
            non_negative_usd("est_monthly_usd"),
            unique("category", "account_id", "region", "resource_id",
                   purpose="a resource counted twice in one category"),
            *account), ("category", "resource_id")),
        TableSpec("marts.waste_summary", (
            in_set("category", (*WASTE_CATEGORIES, "TOTAL"), "a waste category nobody defined"),
            non_negative_usd("est_monthly_usd"), non_negative_usd("est_annual_usd"),
            account_id_format(regex=r"^(?:\d{12}|ALL)$")), ("account_id", "category")),
        TableSpec("marts.resource_lookup", (
            not_null("identifier"), *account), ("identifier",)),
        TableSpec("marts.subnet_utilization", (
            between("percent_used", 0, 100, purpose="a subnet more than full or less than empty"),
            in_set("level", ("subnet", "vpc"), "a level the model does not define"),
            *account), ("subnet_id", "vpc_id")),
        TableSpec("marts.security_group_open_ingress", (
            not_null("security_group_id"),
            in_set("cidr", OPEN_CIDRS, "a rule listed as open that is not open to the internet"),
            *account), ("security_group_id",)),
        TableSpec("marts.k8s_unhealthy", (
            not_null("cluster"), not_null("problem"), *account), ("cluster", "namespace", "name")),
        TableSpec("marts.rightsizing", (
            not_null("resource_id"),
            unique("resource_type", "account_id", "region", "resource_id",
                   purpose="a resource with two recommendations (one row per resource)"),
            in_set("resource_type", RIGHTSIZING_TYPES, "a resource type rightsizing does not judge"),
            in_set("recommendation", RIGHTSIZING_RECOMMENDATIONS, "a recommendation the model does not define"),
            not_null("current_type"),
            between("max_cpu_percent", 0, 100, purpose="a CPU peak outside 0-100 %"),
            non_negative_usd("current_monthly_usd"), non_negative_usd("proposed_monthly_usd"),
            between("monthly_saving_usd", 0, purpose="a smaller size that costs more (a saving below 0)"),
            *account), ("resource_type", "resource_id")),
        TableSpec("marts.cost_spikes", (
            not_null("resource_id"), not_null("spike_date"),
            unique("spike_kind", "account_id", "region", "resource_id", "spike_date",
                   purpose="a spike on two rows (one row per kind, resource and day)"),
            in_set("spike_kind", SPIKE_KINDS, "a spike kind the model does not define"),
            non_negative_usd("day_usd"), non_negative_usd("baseline_median_usd"),
            *account), ("spike_kind", "resource_id", "spike_date")),
        TableSpec("marts.nat_gateway_traffic", (
            not_null("nat_gateway_id"), not_null("traffic_date"),
            unique("account_id", "region", "nat_gateway_id", "traffic_date",
                   purpose="a gateway's day on two rows (one row per gateway and day)"),
            between("processed_bytes", 0, purpose="negative bytes"), non_negative_usd("processed_usd"),
            *account), ("nat_gateway_id", "traffic_date")),
    ]


def catalog(con) -> dict[str, list[str]]:
    """schema.table -> its columns in order, for the staging and marts schemas."""
    rows = con.execute("select schema_name, table_name, column_name from duckdb_columns() "
                       "where schema_name in ('staging', 'marts') order by schema_name, table_name, column_index"
                       ).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        tables.setdefault(f"{schema}.{table}", []).append(column)
    return tables


def table_specs(tables: Mapping[str, list[str]], regions: frozenset[str],
                slack_hours: float = WINDOW_SLACK_HOURS) -> tuple[list[TableSpec], list[CheckResult]]:
    """Every suite this warehouse gets, and a `skipped` result per mart it does not have."""
    specs = [staging_spec(name.split(".", 1)[1], columns, regions, slack_hours)
             for name, columns in sorted(tables.items()) if name.startswith("staging.")]
    skipped = []
    for spec in mart_specs(regions):
        if spec.table in tables:
            specs.append(spec)
        else:
            skipped.append(CheckResult(f"expectations on {spec.table}", spec.table, "skipped",
                                       "table not in the warehouse",
                                       "the mart is not built (yet); its checks run once it exists: "
                                       + "; ".join(check.name for check in spec.checks)))
    return specs, skipped


def default_regions() -> frozenset[str]:
    from cloud_inventory.accounts import known_regions

    return known_regions() | {GLOBAL_REGION}


# --- running ---------------------------------------------------------------------------------------------------

def run_expectations(warehouse_path: str | Path, data_docs_dir: str | Path, run_id: str, *,
                     regions: Iterable[str] | None = None,
                     slack_hours: float = WINDOW_SLACK_HOURS) -> list[CheckResult]:
    """Validate the warehouse (opened read-only) and build the Data Docs into `data_docs_dir`.

    Returns one CheckResult per check per table (plus one `skipped` per missing mart), staging first, in
    table and suite order. A table that cannot be read or validated gives `error` results and the run goes
    on; it raises only when the warehouse cannot be opened or GX cannot start or write its Data Docs.
    Tables are read and validated one at a time, so only one table's window is in memory.
    """
    import duckdb

    started = time.monotonic()
    regions = frozenset(regions) if regions is not None else default_regions()
    timings = {"read": 0.0, "gx_context": 0.0, "validate": 0.0, "data_docs": 0.0}
    docs_dir = Path(data_docs_dir)
    build_dir = docs_dir.with_name(f".{docs_dir.name}.build-{uuid.uuid4().hex[:8]}")
    results: dict[str, list[CheckResult]] = {}
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        tables = catalog(con)
        specs, skipped = table_specs(tables, regions, slack_hours)
        timings["read"] += time.monotonic() - started

        phase = time.monotonic()
        context = _context(build_dir)
        source = context.data_sources.add_pandas("warehouse")
        run = _run_identifier(run_id)
        timings["gx_context"] = time.monotonic() - phase

        for spec in specs:
            found = results[spec.table] = list(spec.problems)
            columns = tables[spec.table]
            missing = spec.missing(columns)
            found += [CheckResult(check.name, spec.table, "error", f"missing column: {', '.join(missing[check.name])}",
                                  f"{spec.table} has no column {', '.join(missing[check.name])}, which this check "
                                  f"needs ({check.purpose})")
                      for check in spec.checks if check.name in missing]
            if len(missing) == len(spec.checks):
                continue
            phase = time.monotonic()
            try:
                frame = con.execute(spec.query(columns)).df()
            except duckdb.Error as exc:
                found += [CheckResult(check.name, spec.table, "error", "could not read the table", _short(exc))
                          for check in spec.checks if check.name not in missing]
                continue
            finally:
                timings["read"] += time.monotonic() - phase
            phase = time.monotonic()
            found += _validate(context, source, spec, frame, missing, f"{spec.window}: {len(frame)} rows", run)
            del frame
            timings["validate"] += time.monotonic() - phase

    phase = time.monotonic()
    _remove_leftovers(docs_dir)
    try:
        context.build_data_docs(site_names=[DOCS_SITE])
        _replace_dir(build_dir, docs_dir)
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    timings["data_docs"] = time.monotonic() - phase
    timings["total"] = time.monotonic() - started

    ordered = [result for spec in specs for result in _in_suite_order(spec, results[spec.table])] + skipped
    counts = {status: sum(1 for r in ordered if r.status == status) for status in STATUSES}
    log.info("expectations on %d tables: %s; %s; data docs %s", len(specs), counts,
             ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()), docs_dir / "index.html")
    return ordered


def _quiet_gx() -> None:
    """GX logs every public API it registers at INFO while importing: keep it out of task logs."""
    gx_log = logging.getLogger("great_expectations")
    if gx_log.level == logging.NOTSET:
        gx_log.setLevel(logging.WARNING)


def _context(docs_dir: Path):
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={DOCS_SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        }},
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _run_identifier(run_id: str):
    from great_expectations.core.run_identifier import RunIdentifier

    # the run name becomes a folder of the Data Docs: keep it a plain path segment
    return RunIdentifier(run_name=re.sub(r"[^A-Za-z0-9._-]+", "_", run_id) or "run",
                         run_time=datetime.now(timezone.utc))


def _validate(context, source, spec: TableSpec, frame, missing: Mapping[str, Any], window: str,
              run) -> list[CheckResult]:
    import great_expectations as gx

    checks = [check for check in spec.checks if check.name not in missing]
    try:
        batch = source.add_dataframe_asset(name=spec.table).add_batch_definition_whole_dataframe(window)
        suite = context.suites.add(gx.ExpectationSuite(
            name=spec.table, expectations=[check.build() for check in checks],
            meta={"window": window, "checks": {check.name: check.purpose for check in checks}}))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.table, data=batch, suite=suite))
        outcome = definition.run(
            batch_parameters={"dataframe": frame}, run_id=run,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_UNEXPECTED,
                           "unexpected_index_column_names": [c for c in spec.ids if c in frame.columns]})
    except Exception as exc:  # GX failing on one table must not hide the others' results
        log.exception("validating %s failed", spec.table)
        return [CheckResult(check.name, spec.table, "error", "validation did not run", _short(exc))
                for check in checks]
    by_name = {check.name: check for check in checks}
    found = []
    for result in outcome.results:
        name = (result.expectation_config.meta or {}).get("check")
        if name in by_name:
            found.append(_check_result(spec, by_name[name], result, window))
    seen = {r.check for r in found}
    found += [CheckResult(name, spec.table, "error", "no result from GX", window)
              for name in by_name if name not in seen]
    return found


def _check_result(spec: TableSpec, check: Check, result, window: str) -> CheckResult:
    error = _exception(result.exception_info)
    if error:
        return CheckResult(check.name, spec.table, "error", "the expectation raised an error", error)
    data = result.result or {}
    total = data.get("element_count", 0)
    details = f"{window}; {check.purpose}" if check.purpose else window
    if result.success:
        return CheckResult(check.name, spec.table, "pass", f"{total} rows, none unexpected", details)
    return CheckResult(check.name, spec.table, "fail", _observed(spec, check, data),
                       f"{details}; {data.get('unexpected_count', 0)} of {total} rows unexpected")


def _exception(info) -> str | None:
    if not info:
        return None
    if "raised_exception" in info:
        return _short(info.get("exception_message")) if info.get("raised_exception") else None
    messages = [item.get("exception_message") for item in info.values()
                if isinstance(item, Mapping) and item.get("raised_exception")]
    return "; ".join(_short(m) for m in messages) if messages else None


def _observed(spec: TableSpec, check: Check, data: Mapping[str, Any]) -> str:
    """What failed, briefly: the values or ids at fault, GX's partial lists trimmed to SAMPLE."""
    count = data.get("unexpected_count", 0)
    counts = data.get("partial_unexpected_counts") or []
    listed = data.get("partial_unexpected_list") or []
    rows = data.get("partial_unexpected_index_list") or []
    if check.expectation in ("ExpectCompoundColumnsToBeUnique", "ExpectColumnValuesToBeUnique"):
        ids = _distinct([_key(item.get("value")) for item in counts] or [_key(v) for v in listed])
        more = ", …" if len(ids) > SAMPLE or count > sum(item.get("count", 0) for item in counts) else ""
        return (f"{len(ids)}{'+' if more else ''} duplicate id{'s' if len(ids) != 1 else ''} on {count} rows: "
                + ", ".join(ids[:SAMPLE]) + more)
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        named = _distinct([_row_ids(spec, row) for row in rows if _row_ids(spec, row)])
        return f"{count} null value{'s' if count != 1 else ''}" + (f": {', '.join(named[:SAMPLE])}" if named else "")
    column = check.kwargs.get("column")
    if column in DERIVED:
        low, high = check.kwargs.get("min_value"), check.kwargs.get("max_value")
        shown = [f"{_row_ids(spec, row) or '?'} at {_number(row.get(column))} h" for row in rows]
        return (f"{count} row{'s' if count != 1 else ''} outside the window ({DERIVED[column].meaning} "
                f"not in [{low:g}, {high:g}{')' if check.kwargs.get('strict_max') else ']'}): "
                + ", ".join(_distinct(shown)[:SAMPLE]) + (", …" if count > SAMPLE else ""))
    values = _distinct([repr(item.get("value")) for item in counts] or [repr(v) for v in listed])
    if check.expectation == "ExpectColumnValuesToBeBetween":
        shown = [f"{_number(row.get(column))} ({_row_ids(spec, row)})" if _row_ids(spec, row)
                 else _number(row.get(column)) for row in rows]
        values = _distinct(shown) or values
    more = ", …" if count > len(values[:SAMPLE]) else ""
    return f"{count} unexpected value{'s' if count != 1 else ''}: " + ", ".join(values[:SAMPLE]) + more


def _key(value) -> str:
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return "/".join(_text(v) for v in value)
    return _text(value)


def _text(value) -> str:
    """A value as people write it: dates (pandas reads DATE as a midnight timestamp) without a time."""
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == datetime.min.time():
        return value.date().isoformat()
    return str(value)


def _row_ids(spec: TableSpec, row: Mapping[str, Any]) -> str:
    return "/".join(_text(row[c]) for c in spec.ids if c in row and row[c] is not None and str(row[c]) != "nan")


def _number(value) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return repr(value)


def _distinct(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _short(value, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in_suite_order(spec: TableSpec, found: list[CheckResult]) -> list[CheckResult]:
    order = {check.name: i for i, check in enumerate(spec.checks)}
    return sorted(found, key=lambda r: order.get(r.check, -1))


LEFTOVER_SECONDS = 3600  # a build or old folder this old belongs to a run that died before cleaning up


def _remove_leftovers(target: Path) -> None:
    now = time.time()
    for pattern in (f".{target.name}.build-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            try:
                if now - path.stat().st_mtime > LEFTOVER_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            except FileNotFoundError:
                pass


def _replace_dir(new: Path, target: Path) -> None:
    """Put `new` in place of `target` by two renames: a reader sees the old docs or the new ones (for an
    instant, none), never a mix of two runs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (new / "index.html").exists():
        raise RuntimeError(f"GX built no Data Docs index in {new}")
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
