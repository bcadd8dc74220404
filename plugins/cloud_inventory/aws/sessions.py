"""boto3 sessions into member accounts: sts:AssumeRole with auto-refreshing credentials.

A large account can take longer than one role session, so credentials are botocore's
DeferredRefreshableCredentials: they assume the role again shortly before they expire.
Every client honours `AWS_ENDPOINT_URL` (botocore reads it), so the same code talks to AWS or the emulator.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import ClientError
from botocore.utils import parse_timestamp

from cloud_inventory.accounts import Account
from cloud_inventory.settings import Settings

SESSION_NAME = "cloud-inventory"
GLOBAL_REGION = "us-east-1"  # where the global services (IAM, Route 53, CloudFront, Organizations) answer
# Codes STS gives when its regional endpoint is not enabled for the caller; then ask the global region.
_REGIONAL_STS_UNAVAILABLE = {"RegionDisabledException", "InvalidClientTokenId", "UnrecognizedClientException"}


class AssumeRoleError(RuntimeError):
    """The account's role could not be assumed; nothing in that account can be looked at."""

    def __init__(self, account: Account, error: ClientError):
        self.code = error.response.get("Error", {}).get("Code", "Unknown")
        message = error.response.get("Error", {}).get("Message", "")
        super().__init__(f"cannot assume {account.role_arn} in account {account.id} ({account.name}): "
                         f"{self.code}: {message}")


def client_config(settings: Settings, **overrides) -> Config:
    """botocore adaptive retries (client-side rate limiting on throttles) and timeouts from settings."""
    options = dict(
        # total_max_attempts counts the first try (like AWS_MAX_ATTEMPTS); botocore's max_attempts would not.
        retries={"mode": "adaptive", "total_max_attempts": settings.aws_max_attempts},
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        max_pool_connections=max(10, settings.type_concurrency * 4),
        user_agent_extra="cloud-inventory",
    )
    options.update(overrides)
    return Config(**options)


@lru_cache(maxsize=1)
def _shared_loader() -> botocore.loaders.Loader:
    """One model loader per process: each new session would otherwise parse the service models again."""
    return botocore.loaders.create_loader()


def fast_timestamp(value):
    """AWS's ISO-8601 timestamps through datetime.fromisoformat (Python 3.11 reads them all), which is
    many times faster than botocore's dateutil-based default: a third of the CPU spent parsing EC2 pages."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)  # naive when the text has no offset, as botocore's is
        except ValueError:
            pass
    return parse_timestamp(value)


def _botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _shared_loader())
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=fast_timestamp)
    return session


def source_session(account: Account, region: str) -> boto3.Session:
    """The credentials we start from: an Airflow connection's keys if the account names one,
    otherwise the default chain (the worker's instance profile, IRSA, environment)."""
    if account.connection_id:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

        return AwsGenericHook(aws_conn_id=account.connection_id, client_type="sts").get_session(region_name=region)
    return boto3.Session(botocore_session=_botocore_session(), region_name=region)


def _assume(account: Account, source: boto3.Session, region: str, settings: Settings) -> dict:
    kwargs = {"RoleArn": account.role_arn, "RoleSessionName": SESSION_NAME,
              "DurationSeconds": settings.aws_session_seconds}
    if account.external_id:
        kwargs["ExternalId"] = account.external_id
    config = client_config(settings)
    try:
        response = source.client("sts", region_name=region, config=config).assume_role(**kwargs)
    except ClientError as error:
        if region == GLOBAL_REGION or error.response.get("Error", {}).get("Code") not in _REGIONAL_STS_UNAVAILABLE:
            raise AssumeRoleError(account, error) from None
        try:
            response = source.client("sts", region_name=GLOBAL_REGION, config=config).assume_role(**kwargs)
        except ClientError as retry_error:
            raise AssumeRoleError(account, retry_error) from None
    credentials = response["Credentials"]
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "token": credentials["SessionToken"],
        "expiry_time": credentials["Expiration"].isoformat(),
    }


class AccountSessions:
    """Sessions inside one account, for any of its regions, from one sts:AssumeRole.

    Credentials are not tied to a region, so the role is assumed once per account, through the regional
    STS endpoint of `home_region` (falling back to the global region where that endpoint is not enabled),
    at once so a denied role fails fast, then again whenever the credentials are about to expire. Each
    region gets a session of its own (boto3 sessions are not thread-safe) sharing those credentials:
    botocore refreshes them under their own lock, once for every region.
    """

    def __init__(self, account: Account, home_region: str, settings: Settings):
        source = source_session(account, home_region)
        self._credentials = (_role_credentials(account, source, home_region, settings) if account.role_arn
                             else source.get_credentials())

    def session(self, region: str) -> boto3.Session:
        """A session acting inside the account, with `region` as its default region."""
        botocore_session = _botocore_session()
        botocore_session._credentials = self._credentials
        return boto3.Session(botocore_session=botocore_session, region_name=region)


def _role_credentials(account: Account, source: boto3.Session, region: str,
                      settings: Settings) -> DeferredRefreshableCredentials:
    pending = [_assume(account, source, region, settings)]

    def refresh() -> dict:
        return pending.pop() if pending else _assume(account, source, region, settings)

    credentials = DeferredRefreshableCredentials(refresh_using=refresh, method="sts-assume-role")
    # botocore refreshes from 15 minutes before expiry (blocking from 10): a role session of 900 s,
    # which settings allow, would be "near expiry" from the start and assumed again on every request.
    seconds = settings.aws_session_seconds
    credentials._advisory_refresh_timeout = min(credentials._advisory_refresh_timeout, seconds // 3)
    credentials._mandatory_refresh_timeout = min(credentials._mandatory_refresh_timeout, seconds // 5)
    return credentials


def account_session(account: Account, region: str, settings: Settings) -> boto3.Session:
    """A session acting inside `account`, with `region` as its default region (the role assumed through that
    region's STS endpoint, see AccountSessions)."""
    return AccountSessions(account, region, settings).session(region)


def enabled_regions(session: boto3.Session, settings: Settings) -> list[str]:
    """The regions enabled in the session's account (opt-in regions only once opted in)."""
    client = session.client("ec2", region_name=session.region_name or GLOBAL_REGION, config=client_config(settings))
    response = client.describe_regions(AllRegions=False)
    return sorted(region["RegionName"] for region in response["Regions"]
                  if region.get("OptInStatus", "opt-in-not-required") != "not-opted-in")


def preload_clients(services: Iterable[str]) -> None:
    """Builds, and drops, a client of each service on this process's shared model loader, so that a process forked
    afterwards (an Airflow task's, under `make dag`) starts with their models parsed instead of parsing them again:
    about 0.7 s of CPU for the registry's services. No request is made; the keys only spare a credential lookup."""
    session = boto3.Session(botocore_session=_botocore_session(), region_name=GLOBAL_REGION,
                            aws_access_key_id="preload", aws_secret_access_key="preload")
    for service in services:
        session.client(service)
