"""pipeline/aws_prices.py's get and transform against the emulator's Price List API: the product picked among
look-alikes, smaller sizes, a failing query recorded while the others go on, a region the list lacks."""
from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.pipeline import aws_prices
from cloud_inventory.pricing.catalog import query_for
from cloud_inventory.pricing.needs import Need


@pytest.fixture(scope="module")
def emulator():
    with Emulator(in_process=True) as running:
        yield running


@pytest.fixture
def client(emulator):
    emulator.set_faults([])
    yield boto3.client("pricing", region_name="us-east-1", endpoint_url=emulator.url, aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    emulator.set_faults([])


def test_the_product_billing_the_key_is_picked_not_its_look_alikes(client):
    nat = aws_prices.ask(client, query_for("nat:hour", "ap-southeast-2"))
    assert (nat["status"], nat["usd"], nat["usagetype"], nat["products_matched"]) == (
        "priced", 0.059, "APS2-NatGateway-Hours", 1)
    ipv4 = aws_prices.ask(client, query_for("vpc:public-ipv4", "us-west-2"))
    assert (ipv4["usd"], ipv4["usagetype"]) == (0.005, "USW2-PublicIPv4:IdleAddress")
    ingestion = aws_prices.ask(client, query_for("logs:ingestion", "eu-west-1"))
    assert (ingestion["usd"], ingestion["usagetype"], ingestion["unit"]) == (0.57, "EU-DataProcessing-Bytes", "GB")
    alb = aws_prices.ask(client, query_for("elb:application", "us-east-1"))
    assert (alb["usd"], alb["usagetype"], alb["reason"]) == (0.0225, "LoadBalancerUsage", None)
    instance = aws_prices.ask(client, query_for("ec2:t3.large:windows", "us-east-1"))
    assert (instance["usd"], instance["usagetype"]) == (0.1108, "BoxUsage:t3.large")  # not its reservation rows


def test_missing_products_and_regions_are_told_apart(client):
    rows = aws_prices.fetch(client, [Need("ec2:x2iedn.32xlarge:linux", "us-west-2"), Need("ec2:t3.micro:linux", "us-west-2"),
                                     Need("ec2:t3.micro:linux", "sa-east-1"), Need("vpc:public-ipv4", "sa-east-1")])
    by_key = {(r["price_key"], r["region"]): r for r in rows}
    assert by_key[("ec2:x2iedn.32xlarge:linux", "us-west-2")]["reason"] == (
        "the Price List has no AmazonEC2 product for ec2:x2iedn.32xlarge:linux in us-west-2")
    assert by_key[("ec2:t3.micro:linux", "sa-east-1")]["reason"] == (
        "region sa-east-1 is not in the Price List (no product found for any key there)")
    assert by_key[("ec2:t3.micro:linux", "us-west-2")]["status"] == "priced"


def test_smaller_sizes_are_asked_until_the_first_the_region_offers(client):
    rows = aws_prices.fetch(client, [Need("ec2:m5.xlarge:linux", "ap-southeast-2",
                                          ("ec2:m5.large:linux", "ec2:m5.medium:linux")),
                                     Need("ec2:r5.large:linux", "us-west-2", ("ec2:r5.medium:linux",))])
    assert [(r["price_key"], r["region"], r["usd"]) for r in rows] == [
        ("ec2:m5.large:linux", "ap-southeast-2", 0.12), ("ec2:m5.xlarge:linux", "ap-southeast-2", 0.24),
        ("ec2:r5.large:linux", "us-west-2", 0.126)]


def test_a_failing_query_is_recorded_with_its_error_and_the_others_go_on(client, emulator):
    emulator.set_faults([{"service": "pricing", "action": "GetProducts", "code": "AccessDeniedException",
                          "message": "not authorized to perform pricing:GetProducts", "times": 1}])
    rows = aws_prices.fetch(client, [Need("elb:classic", "us-west-2"), Need("elb:network", "us-west-2")])
    assert [(r["price_key"], r["status"], r["reason"]) for r in rows] == [
        ("elb:classic", "error", "AccessDeniedException: not authorized to perform pricing:GetProducts"), ("elb:network", "priced", None)]


def test_a_query_matching_too_many_products_is_refused_not_read(client):
    broad = query_for("ec2:t3.micro:linux", "us-east-1")
    broad = type(broad)(broad.price_key, broad.region, broad.service_code, (), None, broad.api_unit)
    with pytest.raises(aws_prices.TooManyProducts, match="more than 20 products match ec2:t3.micro:linux"):
        aws_prices.get_products(client, broad, max_pages=2, page_size=10)


def test_the_client_acts_as_the_first_account_or_with_organizations_only_as_the_worker(emulator, monkeypatch,
                                                                                      tmp_path):
    from cloud_inventory import settings as inventory_settings

    from . import estate

    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # the worker's own credentials (another test's may linger)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(estate.accounts_file(tmp_path / "accounts.yaml")))
    client = aws_prices.pricing_client(inventory_settings.load())
    assert client.meta.region_name == "us-east-1"
    assert client._request_signer._credentials.access_key != "testing"  # the assumed role's, not the worker's
    assert aws_prices.ask(client, query_for("nat:hour", "us-west-2"))["usd"] == 0.045

    (tmp_path / "org.yaml").write_text('organizations:\n  - management_account_id: "999999999999"\n'
                                       "    name: main-org\n    role_name: OrganizationsReadOnly\n    external_id: org-x\n"
                                       "    member_role_name: InventoryReadOnly\n    member_external_id: org-x\n"
                                       "    regions: [us-west-2]\n")
    monkeypatch.setenv("INVENTORY_ACCOUNTS_FILE", str(tmp_path / "org.yaml"))
    client = aws_prices.pricing_client(inventory_settings.load())
    assert client._request_signer._credentials.access_key == "testing"
    assert aws_prices.ask(client, query_for("nat:hour", "us-west-2"))["usd"] == 0.045
