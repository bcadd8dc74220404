"""The aws_inventory task functions without a scheduler: the snapshot-date rule, planning, reporting."""
from __future__ import annotations

import time
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


def _regions(planned, account_id):
    (entry,) = [e for e in planned["accounts"] if e["account"]["id"] == account_id]
    return entry["regions"]


@mock_aws
def test_plan_expands_all_regions_and_lists_global_once_per_account():
    config = _config(accounts=[{"id": "111111111111", "name": "a", "regions": "all"},
                               {"id": "222222222222", "name": "b", "regions": ["eu-west-1"]}])
    planned = work.plan(inventory_settings.load(), config)

    listed = boto3.client("ec2", "us-east-1").describe_regions(AllRegions=True)["Regions"]
    enabled = {r["RegionName"] for r in listed if r["OptInStatus"] != "not-opted-in"}
    not_opted_in = {r["RegionName"] for r in listed} - enabled
    assert [e["account"]["id"] for e in planned["accounts"]] == ["111111111111", "222222222222"]
    regions_a = _regions(planned, "111111111111")
    assert regions_a[-1] == "global" and set(regions_a[:-1]) == enabled and len(enabled) > 10
    assert not_opted_in and not set(regions_a) & not_opted_in  # opt-in regions only once the account opted in
    assert _regions(planned, "222222222222") == ["eu-west-1", "global"]
    assert planned["unplanned"] == []
    assert work.pairs(planned["accounts"])[-2:] == [("222222222222", "eu-west-1"), ("222222222222", "global")]


@pytest.mark.parametrize("types, regions", [("vpc,subnet", ["eu-west-1", "us-east-1"]), ("s3_bucket", ["global"])])
def test_plan_leaves_out_a_scope_the_resource_types_setting_has_no_type_of(monkeypatch, types, regions):
    """Otherwise the run waits for a manifest no extraction writes, and fails on it."""
    monkeypatch.setenv("INVENTORY_RESOURCE_TYPES", types)
    config = _config(accounts=[{"id": "111111111111", "name": "a", "regions": ["eu-west-1", "us-east-1"]}])

    assert _regions(work.plan(inventory_settings.load(), config), "111111111111") == regions


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

    member = next(e["account"] for e in planned["accounts"] if e["account"]["id"] == member_id)
    assert member["name"] == "payments" and member["environment"] == "prod" and member["team"] == "payments"
    assert member["role_arn"] == f"arn:aws:iam::{member_id}:role/Inventory"
    assert member["external_id"] == "ext-id-2"
    assert _regions(planned, member_id) == ["eu-west-1", "global"]
    planned_ids = [e["account"]["id"] for e in planned["accounts"]]
    assert excluded not in planned_ids and len(planned_ids) == len(set(planned_ids))
    # The management account keeps its own listing (one region), not the organization's defaults.
    assert _regions(planned, management_id) == ["us-east-1", "global"]


def test_an_account_whose_regions_cannot_be_discovered_is_reported_not_dropped(monkeypatch):
    with Emulator(in_process=True) as emulator:
        emulator.set_faults([{"service": "sts", "action": "AssumeRole", "account_id": "666666666666",
                              "code": "AccessDenied", "status": 403}])
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
        config = _config(accounts=[{"id": "666666666666", "name": "locked", "regions": "all"},
                                   {"id": "777777777777", "name": "open", "regions": ["us-east-1"]}])
        planned = work.plan(inventory_settings.load(), config)

    assert planned["accounts"] == [{"account": config.accounts[1].to_dict(), "regions": ["us-east-1", "global"]}]
    assert [u["account_id"] for u in planned["unplanned"]] == ["666666666666"]
    assert "AccessDenied" in planned["unplanned"][0]["reason"]


def test_plan_discovers_regions_of_several_accounts_at_once_and_none_for_listed_regions(monkeypatch):
    """Region discovery is one AssumeRole and one DescribeRegions per account, a round trip each: at 200 ms each, six
    accounts one after the other would take 2.4 s at least."""
    with Emulator(in_process=True) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
        listed = _config(accounts=[{"id": f"81000000000{i}", "name": f"listed-{i}", "regions": ["eu-west-1"]}
                                   for i in range(6)])
        emulator.reset_stats()
        assert len(work.plan(inventory_settings.load(), listed)["accounts"]) == 6
        assert emulator.stats()["total"] == 0  # accounts listing their regions cost no AWS call

        discovered = _config(accounts=[{"id": f"82000000000{i}", "name": f"all-{i}", "regions": "all"}
                                       for i in range(6)])
        work.plan(inventory_settings.load(), discovered)  # moto builds an account's backends on first use: CPU,
        emulator.reset_stats()                              # seconds of it, not the round trips measured below
        emulator.set_latency(200)
        started = time.monotonic()
        planned = work.plan(inventory_settings.load(), discovered)
        seconds = time.monotonic() - started
        emulator.set_latency(0)
        stats = emulator.stats()["by_action"]

    assert len(planned["accounts"]) == 6 and planned["unplanned"] == []
    assert stats["sts:AssumeRole"] == stats["ec2:DescribeRegions"] == 6
    assert seconds < 6 * 2 * 0.2, seconds


def test_a_retry_redoes_only_the_regions_that_failed(monkeypatch, tmp_path, caplog):
    """eu-west-1's VPCs fail once: the task fails naming the account, region, type and error, having written the other
    regions; the retry (same run) keeps those, files untouched, and extracts eu-west-1 alone."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "1")
    account = _config(accounts=[{"id": "830000000001", "name": "retried", "regions": ["us-east-1"]}]).accounts[0]
    entry = {"account": account.to_dict(), "regions": ["us-east-1", "eu-west-1", "global"]}
    settings = inventory_settings.load()
    day = date(2026, 11, 21)
    with Emulator(in_process=True) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
        emulator.set_faults([{"service": "ec2", "action": "DescribeVpcs", "region": "eu-west-1",
                              "code": "InternalError", "status": 500, "message": "try again", "times": 1}])
        with pytest.raises(work.ExtractionFailed) as failed:
            work.run_account(entry, settings, day, "run-1")
        lake_files = {path: path.stat().st_mtime_ns for path in (tmp_path / "lake").rglob("*.parquet")
                      if "region=eu-west-1" not in str(path)}
        emulator.reset_stats()
        caplog.set_level("INFO", logger=work.log.name)

        summary = work.run_account(entry, settings, day, "run-1")
        stats = emulator.stats()["by_action"]

    assert str(failed.value) == ("account 830000000001 (retried): 1 of 3 regions failed (everything else was written "
                                 "and recorded): eu-west-1 (vpc): InternalError: An error occurred (InternalError) "
                                 "when calling the DescribeVpcs operation (reached max retries: 0): try again")
    assert summary["kept"] == ["us-east-1", "global"] and list(summary["regions"]) == ["eu-west-1"]
    assert summary["regions"]["eu-west-1"]["failed"] == {}
    assert stats["ec2:DescribeVpcs"] == 1 and stats["sts:AssumeRole"] == 1 and "s3:ListBuckets" not in stats
    assert "kept 2 region(s) this run already extracted without a failure: us-east-1, global; extracting 1: " \
           "eu-west-1" in caplog.text
    assert lake_files and {path: path.stat().st_mtime_ns for path in lake_files} == lake_files
    manifest = work.run_manifests(settings, day, "run-1")
    assert {r["region"] for r in manifest} == {"us-east-1", "eu-west-1", "global"}
    assert {r["status"] for r in manifest} == {"ok"}


def test_a_new_run_extracts_every_region_again(monkeypatch, tmp_path):
    """What is kept is what *this* run extracted: another run of the same date redoes everything."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    account = _config(accounts=[{"id": "830000000002", "name": "rerun", "regions": ["us-east-1"]}]).accounts[0]
    entry = {"account": account.to_dict(), "regions": ["us-east-1", "global"]}
    with Emulator(in_process=True) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
        work.run_account(entry, inventory_settings.load(), date(2026, 11, 21), "run-1")
        summary = work.run_account(entry, inventory_settings.load(), date(2026, 11, 21), "run-2")
    assert summary["kept"] == [] and list(summary["regions"]) == ["us-east-1", "global"]
    assert {r["run_id"] for r in work.run_manifests(inventory_settings.load(), date(2026, 11, 21), "run-2")} == {
        "run-2"}


def test_report_counts_planned_pairs_and_names_each_region_without_a_manifest(monkeypatch, tmp_path):
    from cloud_inventory.lake import Lake
    from cloud_inventory.manifest import Outcome, write_manifest

    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    settings = inventory_settings.load()
    day = date(2026, 11, 21)
    outcome = Outcome("vpc")
    outcome.finish("ok")
    write_manifest(Lake(settings.lake_uri), snapshot_date=day, run_id="run-1", account_id="840000000001",
                   account_name="a", region="us-east-1", outcomes=[outcome])
    planned = [{"account": {"id": "840000000001"}, "regions": ["us-east-1", "eu-west-1", "global"]},
               {"account": {"id": "840000000002"}, "regions": ["global"]}]

    summary = work.report(settings, day, "run-1", planned)

    assert summary["pairs_planned"] == 4
    assert summary["missing_manifests"] == ["840000000001 eu-west-1", "840000000001 global", "840000000002 global"]
    assert summary["outcomes"] == {"ok": 1} and summary["failed"] == []


def test_validate_config_refuses_an_unknown_resource_type(monkeypatch):
    """A typo in INVENTORY_RESOURCE_TYPES fails the run's first task, not every extraction task."""
    monkeypatch.setenv("INVENTORY_RESOURCE_TYPES", "ec2_instance,ebs_volumes")
    with pytest.raises(inventory_settings.SettingsError, match="unknown resource type.*ebs_volumes"):
        work.validate_config(inventory_settings.load())
