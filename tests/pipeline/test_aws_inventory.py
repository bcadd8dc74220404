"""The aws_inventory task functions without a scheduler: the snapshot-date rule, planning, reporting."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from cloud_inventory import settings as inventory_settings
from cloud_inventory.accounts import parse
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.pipeline import aws_inventory as work

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("hours_behind, allowed", [(0, True), (24, True), (24.001, False), (72, False)])
def test_snapshot_date_refuses_logical_dates_older_than_the_limit(hours_behind, allowed):
    settings = inventory_settings.load()
    logical_date = NOW - timedelta(hours=hours_behind)
    if allowed:
        assert work.snapshot_date_for(logical_date, NOW, settings) == logical_date.date()
    else:
        with pytest.raises(work.SnapshotDateTooOld, match="can only be taken of now"):
            work.snapshot_date_for(logical_date, NOW, settings)


def test_snapshot_age_limit_is_configurable(monkeypatch):
    monkeypatch.setenv("INVENTORY_MAX_SNAPSHOT_AGE_HOURS", "96")
    assert work.snapshot_date_for(NOW - timedelta(days=3), NOW, inventory_settings.load()) == date(2026, 11, 18)


def _config(**extra):
    return parse({"defaults": {"role_name": "InventoryReadOnly", "external_id": "ext-id-1"}, **extra})


@mock_aws
def test_plan_expands_all_regions_and_adds_one_global_entry_per_account():
    config = _config(accounts=[{"id": "111111111111", "name": "a", "regions": "all"},
                               {"id": "222222222222", "name": "b", "regions": ["eu-west-1"]}])
    planned = work.plan(inventory_settings.load(), config)

    listed = boto3.client("ec2", "us-east-1").describe_regions(AllRegions=True)["Regions"]
    enabled = {r["RegionName"] for r in listed if r["OptInStatus"] != "not-opted-in"}
    not_opted_in = {r["RegionName"] for r in listed} - enabled
    regions_a = {p["region"] for p in planned["pairs"] if p["account"]["id"] == "111111111111"}
    assert regions_a == enabled and len(enabled) > 10
    assert not_opted_in and not regions_a & not_opted_in  # opt-in regions only once the account opted in
    assert [p["region"] for p in planned["pairs"] if p["account"]["id"] == "222222222222"] == ["eu-west-1"]
    assert sorted(g["account"]["id"] for g in planned["globals"]) == ["111111111111", "222222222222"]
    assert {g["region"] for g in planned["globals"]} == {"global"}
    assert planned["unplanned"] == []


@mock_aws
def test_plan_discovers_organization_members_with_labels_from_their_tags():
    org = boto3.client("organizations", "us-east-1")
    org.create_organization(FeatureSet="ALL")
    created = org.create_account(AccountName="payments", Email="p@example.com",
                                 Tags=[{"Key": "environment", "Value": "prod"}, {"Key": "team", "Value": "payments"}])
    member_id = created["CreateAccountStatus"]["AccountId"]
    excluded = org.create_account(AccountName="log-archive", Email="l@example.com")["CreateAccountStatus"]["AccountId"]
    management_id = org.describe_organization()["Organization"]["MasterAccountId"]
    config = _config(accounts=[{"id": management_id, "name": "management", "regions": ["us-east-1"]}],
                     organizations=[{"management_account_id": management_id, "member_role_name": "Inventory",
                                     "member_external_id": "ext-id-2", "regions": ["eu-west-1"],
                                     "exclude": [excluded]}])

    planned = work.plan(inventory_settings.load(), config)

    member = next(p["account"] for p in planned["pairs"] if p["account"]["id"] == member_id)
    assert member["name"] == "payments" and member["environment"] == "prod" and member["team"] == "payments"
    assert member["role_arn"] == f"arn:aws:iam::{member_id}:role/Inventory"
    assert member["external_id"] == "ext-id-2"
    planned_ids = {p["account"]["id"] for p in planned["pairs"]}
    assert excluded not in planned_ids
    # The management account keeps its own listing (one region), not the organization's defaults.
    assert [p["region"] for p in planned["pairs"] if p["account"]["id"] == management_id] == ["us-east-1"]


def test_an_account_whose_regions_cannot_be_discovered_is_reported_not_dropped(monkeypatch):
    with Emulator(in_process=True) as emulator:
        emulator.set_faults([{"service": "sts", "action": "AssumeRole", "account_id": "666666666666",
                              "code": "AccessDenied", "status": 403}])
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
        config = _config(accounts=[{"id": "666666666666", "name": "locked", "regions": "all"},
                                   {"id": "777777777777", "name": "open", "regions": ["us-east-1"]}])
        planned = work.plan(inventory_settings.load(), config)

    assert [p["account"]["id"] for p in planned["pairs"]] == ["777777777777"]
    assert [u["account_id"] for u in planned["unplanned"]] == ["666666666666"]
    assert "AccessDenied" in planned["unplanned"][0]["reason"]


def test_validate_config_refuses_an_unknown_resource_type(monkeypatch):
    """A typo in INVENTORY_RESOURCE_TYPES fails the run's first task, not every extraction task."""
    monkeypatch.setenv("INVENTORY_RESOURCE_TYPES", "ec2_instance,ebs_volumes")
    with pytest.raises(inventory_settings.SettingsError, match="unknown resource type.*ebs_volumes"):
        work.validate_config(inventory_settings.load())
