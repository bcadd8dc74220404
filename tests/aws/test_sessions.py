"""aws/sessions.py: AssumeRole into the account (moto), refreshing credentials, client settings, the endpoint."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from cloud_inventory.accounts import Account
from cloud_inventory.aws import sessions
from cloud_inventory.aws.sessions import (SESSION_NAME, AssumeRoleError, account_session, client_config,
                                          enabled_regions)
from cloud_inventory.settings import load as load_settings

from .support import ACCESS_KEY, SECRET_KEY

TARGET = "220000000002"
ACCOUNT = Account(id=TARGET, name="sessions-test", role_arn=f"arn:aws:iam::{TARGET}:role/InventoryReadOnly",
                  external_id="sessions-ext-id")


@pytest.fixture
def assume_calls(monkeypatch):
    """The AssumeRole requests account_session makes (a hook on the real source session it starts from)."""
    calls = []
    real_source_session = sessions.source_session

    def recording_source_session(account, region):
        session = real_source_session(account, region)
        session.events.register("provide-client-params.sts.AssumeRole", lambda params, **_: calls.append(params))
        return session

    monkeypatch.setattr(sessions, "source_session", recording_source_session)
    return calls


@pytest.fixture
def moto():
    with mock_aws():
        yield


def test_the_session_acts_in_the_target_account(moto, settings, assume_calls):
    session = account_session(ACCOUNT, "eu-west-1", settings)
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == TARGET
    assert identity["Arn"] == f"arn:aws:sts::{TARGET}:assumed-role/InventoryReadOnly/{SESSION_NAME}"
    assert session.region_name == "eu-west-1"
    assert assume_calls == [{"RoleArn": ACCOUNT.role_arn, "RoleSessionName": SESSION_NAME,
                             "DurationSeconds": 3600, "ExternalId": "sessions-ext-id"}]
    # the keys we started from are not the keys the session uses
    assert session.get_credentials().get_frozen_credentials().access_key not in (os.environ["AWS_ACCESS_KEY_ID"], None)


def test_assumes_once_up_front_then_reuses(moto, settings, assume_calls):
    session = account_session(ACCOUNT, "us-east-1", settings)
    assert len(assume_calls) == 1  # at once, so a denied role fails before any work
    ec2 = session.client("ec2")
    for _ in range(3):
        ec2.describe_vpcs()
    assert len(assume_calls) == 1  # the first credentials are used, not fetched again


def test_shortest_sessions_are_not_reassumed_on_every_call(moto, monkeypatch, assume_calls):
    monkeypatch.setenv("INVENTORY_AWS_SESSION_SECONDS", "900")  # STS's minimum, allowed by settings
    session = account_session(ACCOUNT, "us-east-1", load_settings())
    assert assume_calls[0]["DurationSeconds"] == 900
    ec2 = session.client("ec2")
    for _ in range(5):
        ec2.describe_vpcs()
    assert len(assume_calls) == 1  # botocore's 15-minute advisory window would re-assume on every call
    # ...but they are still refreshed before they run out
    credentials = session.get_credentials()
    credentials._expiry_time = datetime.now(timezone.utc) + timedelta(seconds=150)
    ec2.describe_vpcs()
    assert len(assume_calls) == 2
    assert credentials._expiry_time - datetime.now(timezone.utc) > timedelta(minutes=14)


def test_credentials_refresh_when_near_expiry(moto, settings, assume_calls):
    session = account_session(ACCOUNT, "us-east-1", settings)
    credentials = session.get_credentials()
    first = credentials.get_frozen_credentials()
    assert len(assume_calls) == 1
    assert timedelta(minutes=55) < credentials._expiry_time - datetime.now(timezone.utc) <= timedelta(hours=1)

    credentials._expiry_time = datetime.now(timezone.utc) + timedelta(minutes=2)  # a long extraction later
    second = credentials.get_frozen_credentials()
    assert len(assume_calls) == 2  # assumed again
    assert second.access_key != first.access_key
    assert credentials._expiry_time - datetime.now(timezone.utc) > timedelta(minutes=55)
    assert session.client("sts").get_caller_identity()["Account"] == TARGET


def test_no_role_uses_the_source_credentials(moto, settings, assume_calls):
    session = account_session(Account(id="123456789012", name="keys", connection_id=None), "eu-west-1", settings)
    assert assume_calls == []
    assert session.get_credentials().access_key == os.environ["AWS_ACCESS_KEY_ID"]  # moto's fake keys
    assert session.region_name == "eu-west-1"


def test_client_config_from_settings(monkeypatch):
    monkeypatch.setenv("INVENTORY_AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("INVENTORY_AWS_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("INVENTORY_AWS_READ_TIMEOUT", "45")
    monkeypatch.setenv("INVENTORY_TYPE_CONCURRENCY", "8")
    config = client_config(load_settings())
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 7}  # 7 tries in all, not 1 + 7
    assert (config.connect_timeout, config.read_timeout) == (3.0, 45.0)
    assert config.max_pool_connections == 32  # enough for every thread's clients
    assert "cloud-inventory" in config.user_agent_extra
    assert client_config(load_settings(), read_timeout=5).read_timeout == 5
    # and a client really carries it
    client = boto3.client("ec2", region_name="eu-west-1", config=config)
    assert client.meta.config.retries["mode"] == "adaptive"
    assert client.meta.config.retries["total_max_attempts"] == 7
    assert client.meta.config.connect_timeout == 3.0 and client.meta.config.read_timeout == 45.0


def test_enabled_regions(moto, settings):
    regions = enabled_regions(boto3.Session(region_name="us-east-1"), settings)
    assert regions == sorted(regions) and {"us-east-1", "eu-west-1"} <= set(regions)


def test_aws_endpoint_url_is_honoured(emu, settings):
    emu.reset_stats()
    account = Account(id="230000000003", name="endpoint", role_arn="arn:aws:iam::230000000003:role/R",
                      external_id="ext-id")
    session = account_session(account, "eu-west-1", settings)
    sts = session.client("sts")
    assert sts.meta.endpoint_url == emu.url
    assert sts.get_caller_identity()["Account"] == "230000000003"
    stats = emu.stats()["by_action"]
    assert stats["sts:AssumeRole"] == 1 and stats["sts:GetCallerIdentity"] == 1  # they went to the emulator


def test_denied_role_raises_assume_role_error(emu, settings):
    emu.set_faults([{"service": "sts", "action": "AssumeRole", "account_id": "240000000004",
                          "code": "AccessDenied", "status": 403,
                          "message": f"not authorized (key {ACCESS_KEY})"}])
    account = Account(id="240000000004", name="locked", role_arn="arn:aws:iam::240000000004:role/R",
                      external_id="ext-id")
    with pytest.raises(AssumeRoleError) as caught:
        account_session(account, "eu-west-1", settings)
    assert caught.value.code == "AccessDenied"
    assert "240000000004" in str(caught.value) and "locked" in str(caught.value)
    assert SECRET_KEY not in str(caught.value)


def test_regional_sts_not_enabled_falls_back_to_the_global_region(emu, settings):
    emu.set_faults([{"service": "sts", "action": "AssumeRole", "region": "ap-east-1",
                          "code": "RegionDisabledException", "status": 403}])
    emu.reset_stats()
    account = Account(id="250000000005", name="opt-in", role_arn="arn:aws:iam::250000000005:role/R",
                      external_id="ext-id")
    session = account_session(account, "ap-east-1", settings)
    assert session.region_name == "ap-east-1"
    assert session.client("sts", region_name="us-east-1").get_caller_identity()["Account"] == "250000000005"
    assert emu.stats()["by_action"]["sts:AssumeRole"] == 2  # the regional attempt, then us-east-1


@pytest.mark.parametrize("value", [
    "2026-11-21T06:43:29.000Z", "2026-11-21T06:43:29Z", "2026-11-21T06:43:29.123456+00:00",
    "2026-11-21T06:43:29.12345678Z", "2026-11-21T06:43:29", "Sat, 21 Nov 2026 06:43:29 GMT",
    1763700000, 1763700000.5, "1763700000.5"])
def test_fast_timestamp_parser_agrees_with_botocores(value):
    from botocore.utils import parse_timestamp

    from cloud_inventory.aws.sessions import fast_timestamp

    assert fast_timestamp(value) == parse_timestamp(value)
