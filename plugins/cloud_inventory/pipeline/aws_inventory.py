"""The work behind each task of the `aws_inventory` DAG, callable without a scheduler."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloud_inventory import accounts as accounts_config
from cloud_inventory.accounts import Account, AccountsConfig, Organization
from cloud_inventory.aws import errors
from cloud_inventory.aws.extractor import GLOBAL, PairResult, extract_account
from cloud_inventory.aws.registry import selected
from cloud_inventory.aws.sessions import GLOBAL_REGION, AssumeRoleError, account_session, client_config, enabled_regions
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import read_account_manifests, read_manifests
from cloud_inventory.settings import Settings

log = logging.getLogger(__name__)


class SnapshotDateTooOld(ValueError):
    """A snapshot can only be taken of now: an old logical date must not receive today's state."""


class ExtractionFailed(RuntimeError):
    """Some resource types of an account's regions failed; the others were written and recorded."""


def snapshot_date_for(logical_date: datetime, now: datetime, settings: Settings) -> date:
    """The date a run's snapshot is filed under, refusing logical dates too far behind now."""
    age = now - logical_date
    limit = timedelta(hours=settings.max_snapshot_age_hours)
    if age > limit:
        raise SnapshotDateTooOld(
            f"refusing to snapshot for logical date {logical_date.isoformat()}: it is {age} behind now, more than "
            f"INVENTORY_MAX_SNAPSHOT_AGE_HOURS={settings.max_snapshot_age_hours:g}. A snapshot can only be taken of "
            f"now, so extracting today would file today's state under an old date. Old dates cannot be re-extracted; "
            f"run today's date instead.")
    return logical_date.astimezone(timezone.utc).date()


def validate_config(settings: Settings) -> dict[str, Any]:
    """Load and validate the accounts file (raises AccountsConfigError listing every problem) and the resource types
    INVENTORY_RESOURCE_TYPES names (raises SettingsError), so neither fails later in every extraction task."""
    selected(settings.resource_types)
    config = accounts_config.load(settings.accounts_file)
    summary = {"accounts": len(config.accounts), "organizations": len(config.organizations),
               "accounts_with_all_regions": sum(1 for a in config.accounts if a.regions is None)}
    log.info("accounts file %s is valid: %s", settings.accounts_file, summary)
    return summary


# Region discovery (an AssumeRole and a DescribeRegions per account) and the organizations' tag look-ups are a
# round trip each, done this many at a time: 500 accounts take seconds, not minutes.
PLAN_CONCURRENCY = 16


def organization_members(organization: Organization, settings: Settings) -> list[Account]:
    """Active member accounts of an AWS Organization, labelled from their account tags."""
    session = account_session(organization.management, GLOBAL_REGION, settings)
    client = session.client("organizations", region_name=GLOBAL_REGION, config=client_config(settings))
    listed = [account for page in client.get_paginator("list_accounts").paginate() for account in page["Accounts"]
              if account.get("Status", account.get("State")) in ("ACTIVE", None)
              and account["Id"] not in organization.exclude]

    def member(found: dict) -> Account:
        tags = {tag["Key"]: tag["Value"] for tag in
                client.list_tags_for_resource(ResourceId=found["Id"]).get("Tags", [])}
        return Account(
            id=found["Id"], name=found.get("Name") or found["Id"],
            environment=tags.get(organization.environment_tag, "unknown"),
            team=tags.get(organization.team_tag, "unknown"),
            role_arn=accounts_config.role_arn_for(found["Id"], organization.member_role_name),
            external_id=organization.member_external_id, regions=organization.regions)

    with ThreadPoolExecutor(max_workers=PLAN_CONCURRENCY, thread_name_prefix="plan-tags") as pool:
        return list(pool.map(member, listed))


def plan(settings: Settings, config: AccountsConfig | None = None) -> dict[str, Any]:
    """One entry per account: {"account": ..., "regions": [its regions..., "global"]}, without the regions or
    "global" when INVENTORY_RESOURCE_TYPES names no type of that scope.

    Accounts listing their regions cost no AWS call; the others' regions are discovered (and organizations'
    members listed) concurrently. An account whose regions or organization cannot be discovered is not
    dropped: it is reported in `unplanned`, and the run fails after the others have run.
    """
    config = config or accounts_config.load(settings.accounts_file)
    accounts = list(config.accounts)
    # a scope none of INVENTORY_RESOURCE_TYPES's types is in has no extraction, so no manifest to wait for
    regional, global_ = (bool(selected(settings.resource_types, scope)) for scope in ("regional", "global"))
    unplanned: list[dict[str, str]] = []
    with ThreadPoolExecutor(max_workers=PLAN_CONCURRENCY, thread_name_prefix="plan") as pool:
        listings = [(organization, pool.submit(organization_members, organization, settings))
                    for organization in config.organizations]
        for organization, listing in listings:
            try:
                known = {account.id for account in accounts}
                accounts.extend(member for member in listing.result() if member.id not in known)
            except (AssumeRoleError, ClientError, BotoCoreError) as error:
                unplanned.append({"account_id": organization.management.id, "reason": "organization members: "
                                  + errors.redact(str(error))})
        discovered = {account.id: pool.submit(_discover_regions, account, settings)
                      for account in accounts if account.regions is None}
        entries = []
        for account in accounts:
            regions = account.regions
            if regions is None:
                try:
                    regions = discovered[account.id].result()
                except (AssumeRoleError, ClientError, BotoCoreError) as error:
                    unplanned.append({"account_id": account.id, "reason": "regions: " + errors.redact(str(error))})
                    continue
            entries.append({"account": account.to_dict(),
                            "regions": [*(regions if regional else []), *([GLOBAL] if global_ else [])]})
    return {"accounts": entries, "unplanned": unplanned}


def _discover_regions(account: Account, settings: Settings) -> list[str]:
    return enabled_regions(account_session(account, GLOBAL_REGION, settings), settings)


def pairs(planned: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (account id, region) pairs of a plan, "global" among the regions."""
    return [(entry["account"]["id"], region) for entry in planned for region in entry["regions"]]


def run_account(entry: dict[str, Any], settings: Settings, snapshot_date: date, run_id: str) -> dict[str, Any]:
    """Extract one planned account's regions, except those this run already extracted without a failure (a retry
    redoes only the regions that failed, or never wrote their manifest). Raises ExtractionFailed, after writing
    everything it could, when any region failed, so that Airflow retries the task."""
    account = Account.from_dict(entry["account"])
    lake = Lake(settings.lake_uri)
    kept = _extracted_without_failure(lake, snapshot_date, run_id, account.id, entry["regions"])
    todo = [region for region in entry["regions"] if region not in kept]
    if kept:
        log.info("%s (%s): kept %d region(s) this run already extracted without a failure: %s; extracting %d: %s",
                 account.id, account.name, len(kept), ", ".join(kept), len(todo), ", ".join(todo) or "none")
    results: list[PairResult] = extract_account(account, todo, settings, lake, snapshot_date, run_id) if todo else []
    summary = {
        "account_id": account.id, "account_name": account.name, "kept": kept,
        "regions": {result.region: {
            "rows": sum(o.rows for o in result.outcomes), "api_calls": sum(o.api_calls for o in result.outcomes),
            "denied": {o.resource_type: o.error_class for o in result.denied},
            "failed": {o.resource_type: o.error_class for o in result.failed}} for result in results},
    }
    failed = [result for result in results if result.failed]
    if failed:
        raise ExtractionFailed(f"account {account.id} ({account.name}): {len(failed)} of {len(entry['regions'])} "
                               f"regions failed (everything else was written and recorded): {_failures(failed)}")
    return summary


def _failures(failed: list[PairResult]) -> str:
    """The failed regions and types, grouped by error: an account whose role is denied is one line, not 18."""
    by_error: dict[tuple, list[str]] = {}
    for result in failed:
        types: dict[tuple, list[str]] = {}
        for outcome in result.failed:
            types.setdefault((outcome.error_class, outcome.error_message), []).append(outcome.resource_type)
        for error, names in types.items():
            listed = f"all {len(names)} types" if len(names) == len(result.outcomes) else ", ".join(names)
            by_error.setdefault(error, []).append(f"{result.region} ({listed})")
    return "; ".join(f"{', '.join(where)}: {error_class}: {message}"
                     for (error_class, message), where in by_error.items())


def _extracted_without_failure(lake: Lake, snapshot_date: date, run_id: str, account_id: str,
                               regions: list[str]) -> list[str]:
    """The regions whose manifest this run wrote with no failed type, in plan order."""
    statuses: dict[str, set[str]] = {}
    for row in read_account_manifests(lake, snapshot_date, account_id).to_pylist():
        if row["run_id"] == run_id:
            statuses.setdefault(row["region"], set()).add(row["status"])
    return [region for region in regions if region in statuses and "failed" not in statuses[region]]


def run_manifests(settings: Settings, snapshot_date: date, run_id: str) -> list[dict[str, Any]]:
    """The manifest rows this run wrote: one per (account, region, resource type) it extracted."""
    return [row for row in read_manifests(Lake(settings.lake_uri), snapshot_date).to_pylist() if row["run_id"] == run_id]


def _outcomes(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many (account, region, resource type) ended in each status: ok, denied, failed."""
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return dict(sorted(by_status.items()))


def lake_event(settings: Settings, snapshot_date: date, run_id: str) -> dict[str, Any]:
    """What the lake Asset's event says (its `extra`, shown on the Assets page; JSON values only): the snapshot date
    this run wrote, its rows, and the outcomes of its (account, region, resource type) extractions, per account."""
    mine = run_manifests(settings, snapshot_date, run_id)
    return {
        "snapshot_date": snapshot_date.isoformat(), "run_id": run_id,
        "rows": sum(row["rows"] for row in mine), "outcomes": _outcomes(mine),
        "accounts": {account: _outcomes([row for row in mine if row["account_id"] == account])
                     for account in sorted({row["account_id"] for row in mine})},
        "regions": sorted({row["region"] for row in mine}),
        "resource_types": len({row["resource_type"] for row in mine}),
    }


def report(settings: Settings, snapshot_date: date, run_id: str, planned: list[dict[str, Any]]) -> dict[str, Any]:
    """Per account and resource type what this run captured, from the manifests it wrote; `planned` is the plan's
    accounts, and every (account, region) of it without a manifest of this run is missing."""
    mine = run_manifests(settings, snapshot_date, run_id)
    written = {(row["account_id"], row["region"]) for row in mine}
    planned_pairs = pairs(planned)
    missing = [f"{account_id} {region}" for account_id, region in planned_pairs
               if (account_id, region) not in written]
    summary = {
        "snapshot_date": snapshot_date.isoformat(), "run_id": run_id, "pairs_planned": len(planned_pairs),
        "rows": sum(row["rows"] for row in mine), "api_calls": sum(row["api_calls"] for row in mine),
        "outcomes": _outcomes(mine), "missing_manifests": missing,
        "failed": sorted(f"{r['account_id']} {r['region']} {r['resource_type']}: {r['error_class']}"
                         for r in mine if r["status"] == "failed"),
        "denied": sorted(f"{r['account_id']} {r['region']} {r['resource_type']}: {r['error_class']}"
                         for r in mine if r["status"] == "denied"),
    }
    return summary


def format_report(summary: dict[str, Any]) -> str:
    lines = [f"aws_inventory {summary['snapshot_date']} ({summary['run_id']}): {summary['pairs_planned']} pairs "
             f"planned, {summary['rows']} rows, {summary['api_calls']} API requests, outcomes {summary['outcomes']}"]
    for label in ("failed", "denied", "missing_manifests"):
        if summary[label]:
            lines.append(f"{label} ({len(summary[label])}):")
            lines.extend(f"  {entry}" for entry in summary[label])
    return "\n".join(lines)
