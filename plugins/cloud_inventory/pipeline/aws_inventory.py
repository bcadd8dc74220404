"""The work behind each task of the `aws_inventory` DAG, callable without a scheduler."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloud_inventory import accounts as accounts_config
from cloud_inventory.accounts import Account, AccountsConfig, Organization
from cloud_inventory.aws import errors
from cloud_inventory.aws.extractor import GLOBAL, PairResult, extract_pair
from cloud_inventory.aws.registry import selected
from cloud_inventory.aws.sessions import GLOBAL_REGION, AssumeRoleError, account_session, client_config, enabled_regions
from cloud_inventory.lake import Lake
from cloud_inventory.manifest import read_manifests
from cloud_inventory.settings import Settings

log = logging.getLogger(__name__)


class SnapshotDateTooOld(ValueError):
    """A snapshot can only be taken of now: an old logical date must not receive today's state."""


class ExtractionFailed(RuntimeError):
    """Some resource types of a pair failed; the others were written and recorded."""


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


def organization_members(organization: Organization, settings: Settings) -> list[Account]:
    """Active member accounts of an AWS Organization, labelled from their account tags."""
    session = account_session(organization.management, GLOBAL_REGION, settings)
    client = session.client("organizations", region_name=GLOBAL_REGION, config=client_config(settings))
    members = []
    for page in client.get_paginator("list_accounts").paginate():
        for listed in page["Accounts"]:
            if listed.get("Status", listed.get("State")) not in ("ACTIVE", None) or listed["Id"] in organization.exclude:
                continue
            tags = {tag["Key"]: tag["Value"] for tag in
                    client.list_tags_for_resource(ResourceId=listed["Id"]).get("Tags", [])}
            members.append(Account(
                id=listed["Id"], name=listed.get("Name") or listed["Id"],
                environment=tags.get(organization.environment_tag, "unknown"),
                team=tags.get(organization.team_tag, "unknown"),
                role_arn=accounts_config.role_arn_for(listed["Id"], organization.member_role_name),
                external_id=organization.member_external_id, regions=organization.regions))
    return members


def plan(settings: Settings, config: AccountsConfig | None = None) -> dict[str, Any]:
    """(account, region) pairs for the regional types and one entry per account for the global types.

    An account whose regions or organization cannot be discovered is not dropped: it is reported
    in `unplanned`, and the plan task fails after the others are planned.
    """
    config = config or accounts_config.load(settings.accounts_file)
    accounts = list(config.accounts)
    unplanned: list[dict[str, str]] = []
    for organization in config.organizations:
        try:
            known = {account.id for account in accounts}
            accounts.extend(member for member in organization_members(organization, settings)
                            if member.id not in known)
        except (AssumeRoleError, ClientError, BotoCoreError) as error:
            unplanned.append({"account_id": organization.management.id, "reason": "organization members: "
                              + errors.redact(str(error))})
    pairs, globals_ = [], []
    for account in accounts:
        regions = account.regions
        if regions is None:
            try:
                regions = tuple(enabled_regions(account_session(account, GLOBAL_REGION, settings), settings))
            except (AssumeRoleError, ClientError, BotoCoreError) as error:
                unplanned.append({"account_id": account.id, "reason": "regions: " + errors.redact(str(error))})
                continue
        globals_.append({"account": account.to_dict(), "region": GLOBAL})
        pairs.extend({"account": account.to_dict(), "region": region} for region in regions)
    return {"pairs": pairs, "globals": globals_, "unplanned": unplanned}


def run_pair(pair: dict[str, Any], settings: Settings, snapshot_date: date, run_id: str) -> dict[str, Any]:
    """Extract one planned pair; raises ExtractionFailed after writing everything it could."""
    account = Account.from_dict(pair["account"])
    result: PairResult = extract_pair(account, pair["region"], settings, Lake(settings.lake_uri), snapshot_date,
                                      run_id)
    summary = {
        "account_id": account.id, "account_name": account.name, "region": pair["region"],
        "rows": sum(o.rows for o in result.outcomes), "api_calls": sum(o.api_calls for o in result.outcomes),
        "denied": {o.resource_type: o.error_class for o in result.denied},
        "failed": {o.resource_type: o.error_class for o in result.failed},
    }
    if result.failed:
        by_error: dict[tuple, list[str]] = {}
        for outcome in result.failed:
            by_error.setdefault((outcome.error_class, outcome.error_message), []).append(outcome.resource_type)
        details = "; ".join(f"{', '.join(types)}: {error_class}: {message}"
                            for (error_class, message), types in by_error.items())
        others = " (the others were written and recorded)" if len(result.failed) < len(result.outcomes) else ""
        raise ExtractionFailed(f"account {account.id} ({account.name}) region {pair['region']}: "
                               f"{len(result.failed)} of {len(result.outcomes)} resource types failed{others}: "
                               f"{details}")
    return summary


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
    """Per account and resource type what this run captured, from the manifests it wrote."""
    mine = run_manifests(settings, snapshot_date, run_id)
    written = {(row["account_id"], row["region"]) for row in mine}
    missing = [f"{p['account']['id']} {p['region']}" for p in planned
               if (p["account"]["id"], p["region"]) not in written]
    summary = {
        "snapshot_date": snapshot_date.isoformat(), "run_id": run_id, "pairs_planned": len(planned),
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
