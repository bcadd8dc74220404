"""The emulator's Price List Query API (demo/price_list.py): the real answer's shape through boto3, TERM_MATCH
filters, pagination, errors, and its table's agreement with the price seed."""
from __future__ import annotations

import csv
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloud_inventory.demo import price_list
from cloud_inventory.demo.emulator import Emulator
from cloud_inventory.pricing.parse import parse_entry
from cloud_inventory.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def pricing():
    with Emulator(in_process=True) as emulator:
        yield boto3.client("pricing", region_name="us-east-1", endpoint_url=emulator.url,
                           aws_access_key_id="testing", aws_secret_access_key="testing",
                           config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def term(field: str, value: str) -> dict:
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


def test_get_products_answers_json_strings_of_the_real_shape(pricing):
    answer = pricing.get_products(ServiceCode="AmazonEC2", FormatVersion="aws_v1", Filters=[
        term("regionCode", "ap-southeast-2"), term("instanceType", "m5.large"), term("operatingSystem", "Linux"),
        term("capacitystatus", "Used"), term("tenancy", "Shared")])
    assert answer["FormatVersion"] == "aws_v1" and "NextToken" not in answer
    (entry,) = answer["PriceList"]
    assert isinstance(entry, str)
    document = json.loads(entry)
    assert set(document) == {"product", "serviceCode", "terms", "version", "publicationDate"}
    assert document["product"]["attributes"]["usagetype"] == "APS2-BoxUsage:m5.large"
    (term_key, on_demand), = document["terms"]["OnDemand"].items()
    assert term_key == f"{document['product']['sku']}.JRTCKXETXF"
    (rate, dimension), = on_demand["priceDimensions"].items()
    assert rate == dimension["rateCode"] and dimension["pricePerUnit"] == {"USD": "0.1200000000"}
    assert parse_entry(entry)[0].usd == 0.12


def test_filters_match_exactly_and_look_alikes_are_listed_beside_the_product(pricing):
    answer = pricing.get_products(ServiceCode="AmazonEC2", Filters=[
        term("regionCode", "us-west-2"), term("productFamily", "NAT Gateway")])
    usages = sorted(json.loads(e)["product"]["attributes"]["usagetype"] for e in answer["PriceList"])
    assert usages == ["USW2-NatGateway-Bytes", "USW2-NatGateway-Hours", "USW2-RegionalNatGateway-Bytes",
                      "USW2-RegionalNatGateway-Hours"]
    assert pricing.get_products(ServiceCode="AmazonEC2", Filters=[term("regionCode", "us-west-2"),
                                                                   term("instanceType", "M5.LARGE")])["PriceList"] == []
    assert pricing.get_products(ServiceCode="AmazonEC2", Filters=[term("regionCode", "sa-east-1")])["PriceList"] == []


def test_pages_follow_next_token_until_the_end(pricing):
    filters = [term("regionCode", "us-east-1")]
    every = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters, MaxResults=100)["PriceList"]
    paged = [entry for page in pricing.get_paginator("get_products").paginate(
        ServiceCode="AmazonEC2", Filters=filters, PaginationConfig={"PageSize": 7}) for entry in page["PriceList"]]
    assert len(every) > 7 and paged == every


def test_a_bad_request_is_an_aws_error(pricing):
    with pytest.raises(ClientError) as raised:
        pricing.get_products(ServiceCode="AmazonEC2", MaxResults=101)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as raised:
        pricing.get_products(ServiceCode="AmazonEC2", Filters=[{"Type": "CONTAINS", "Field": "x", "Value": "y"}])
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


def test_the_table_agrees_with_the_price_seed_wherever_both_have_a_price():
    with open(PROJECT_ROOT / "include/config/seeds/prices.csv", newline="") as f:
        seed = {(r["price_key"], r["region"]): float(r["usd"]) for r in csv.DictReader(f)}
    with open(price_list.DATA, newline="") as f:
        table = list(csv.DictReader(f))
    assert {r["origin"] for r in table} == {"seed", "typed"}
    marked = [(r["price_key"], r["region"]) for r in table if r["origin"] == "seed"]
    assert marked and all(key in seed for key in marked)  # `seed` rows are the seed's
    # so the demo's dollars are the same whichever source prices them
    assert [r for r in table if (r["price_key"], r["region"]) in seed
            and float(r["usd"]) != seed[(r["price_key"], r["region"])]] == []
