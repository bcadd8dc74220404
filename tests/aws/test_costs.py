"""aws/costs.py: daily spend per service and linked account from Cost Explorer (moto's queued answers), and an
account without Cost Explorer recorded as denied."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto import mock_aws

from cloud_inventory.accounts import Account
from cloud_inventory.aws.costs import COST_METRIC, daily_service_cost_items, fetch_daily_service_costs
from cloud_inventory.aws.extractor import GLOBAL, Extraction
from cloud_inventory.aws.metrics import statistics_window
from cloud_inventory.aws.registry import BY_NAME

from .support import RUN_ID, SNAPSHOT_DATE, read_partition

ACCOUNT = Account(id="123456789012", name="payer")
NOW = datetime(2026, 3, 20, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def run(settings, lake):
    with mock_aws():
        yield Extraction(account=ACCOUNT, region=GLOBAL, session=boto3.Session(region_name="us-east-1"),
                         settings=settings, lake=lake, snapshot_date=SNAPSHOT_DATE, run_id=RUN_ID, snapshot_at=NOW)


def day(start: str, end: str, *groups, estimated=False) -> dict:
    return {"TimePeriod": {"Start": start, "End": end}, "Estimated": estimated, "Total": {}, "Groups": [
        {"Keys": [service, account], "Metrics": {COST_METRIC: {"Amount": amount, "Unit": "USD"}}}
        for service, account, amount in groups]}


def queue(*answers: dict, account: str = ACCOUNT.id) -> None:
    """moto's documented hook: each new GetCostAndUsage request takes the next queued answer."""
    response = requests.post("http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
                             json={"account_id": account, "results": list(answers)})
    assert response.status_code == 201


def test_one_item_per_day_service_and_linked_account(run, lake):
    requests_seen = []
    client = run.client("ce")
    client.meta.events.register("provide-client-params.ce.GetCostAndUsage",
                                lambda params, **_: requests_seen.append(params))
    queue({"ResultsByTime": [
        day("2026-03-18", "2026-03-19", ("AmazonCloudWatch", "123456789012", "4.10"),
            ("Amazon Elastic Compute Cloud - Compute", "210987654321", "120.00")),
        day("2026-03-19", "2026-03-20", ("AmazonCloudWatch", "123456789012", "61.35"), estimated=True)],
        "DimensionValueAttributes": []})

    outcome = run.run_type(BY_NAME["ce_service_cost"], {})

    assert (outcome.status, outcome.rows) == ("ok", 3)
    start, end = statistics_window(NOW)
    (request,) = requests_seen
    assert request == {"TimePeriod": {"Start": start.date().isoformat(), "End": end.date().isoformat()},
                       "Granularity": "DAILY", "Metrics": [COST_METRIC],
                       "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"},
                                   {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}]}
    rows = {row["resource_id"]: json.loads(row["raw"]) for row in read_partition(lake, "ce_service_cost",
                                                                                 ACCOUNT.id, GLOBAL)}
    assert set(rows) == {"123456789012/AmazonCloudWatch/2026-03-18",
                         "210987654321/Amazon Elastic Compute Cloud - Compute/2026-03-18",
                         "123456789012/AmazonCloudWatch/2026-03-19"}
    spike = rows["123456789012/AmazonCloudWatch/2026-03-19"]
    assert (spike["Amount"], spike["Unit"], spike["Estimated"]) == ("61.35", "USD", True)


def test_pages_are_followed():
    stubbed = boto3.client("ce", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")

    class Context:
        snapshot_at = NOW

        @staticmethod
        def client(_):
            return stubbed

    with Stubber(stubbed) as stubber:
        stubber.add_response("get_cost_and_usage", {"ResultsByTime": [
            day("2026-03-18", "2026-03-19", ("AmazonS3", "123456789012", "1.00"))], "NextPageToken": "p2"})
        stubber.add_response("get_cost_and_usage", {"ResultsByTime": [
            day("2026-03-19", "2026-03-20", ("AmazonS3", "123456789012", "2.00"))]})
        pages = list(fetch_daily_service_costs(Context))
    assert [[item["Amount"] for item in page] for page in pages] == [["1.00"], ["2.00"]]


def test_an_unexpected_grouping_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"keys \['AmazonS3'\]"):
        daily_service_cost_items({"ResultsByTime": [{"TimePeriod": {"Start": "2026-03-18", "End": "2026-03-19"},
                                                     "Groups": [{"Keys": ["AmazonS3"], "Metrics": {}}]}]})


def test_an_account_without_cost_explorer_is_denied_not_empty(run):
    client = run.client("ce")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_cost_and_usage", service_error_code="AccessDeniedException",
                                 service_message="User not enabled for cost explorer access", http_status_code=400)
        outcome = run.run_type(BY_NAME["ce_service_cost"], {})
    assert (outcome.status, outcome.error_class, outcome.rows) == ("denied", "AccessDeniedException", 0)
    assert "not enabled for cost explorer" in outcome.error_message
