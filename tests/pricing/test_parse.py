"""pricing/parse.py on Price List entries shaped like the API's (responses.py)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from cloud_inventory.pricing.parse import PriceListError, parse_entry

from .responses import EC2_M5_LARGE_SYDNEY, GP3_THROUGHPUT_OREGON, VENDED_LOGS_SYDNEY


def test_an_instance_entry_gives_its_on_demand_price_sku_and_dates_not_the_reserved_one():
    (price,) = parse_entry(EC2_M5_LARGE_SYDNEY)
    assert price.usd == 0.12 and price.api_unit == "Hrs"
    assert price.sku == "Q7GDF95MM7MZ7Y5Q" and price.offer_term_code == "JRTCKXETXF"
    assert price.rate_code == "Q7GDF95MM7MZ7Y5Q.JRTCKXETXF.6YS6EN2CT7"
    assert price.usagetype == "APS2-BoxUsage:m5.large" and price.region_code == "ap-southeast-2"
    assert price.service_code == "AmazonEC2" and price.product_family == "Compute Instance"
    assert price.effective_date == date(2024, 4, 1)
    assert price.publication_date == datetime(2024, 5, 8, 19, 10, 27, tzinfo=timezone.utc)
    assert price.version == "20240508191027" and price.tiers == 1 and price.tier_note is None


def test_a_tiered_entry_gives_its_first_tier_and_says_so():
    (price,) = parse_entry(VENDED_LOGS_SYDNEY)
    assert price.usd == 0.76 and price.begin_range == "0" and price.end_range == "10240"
    assert price.tiers == 3
    assert price.tier_note == "first of 3 tiers (0 to 10240 GB); later tiers are cheaper"


def test_the_api_unit_and_price_are_kept_as_listed():
    (price,) = parse_entry(GP3_THROUGHPUT_OREGON)
    assert (price.api_unit, price.usd, price.effective_date) == ("GiBps-mo", 40.96, date(2024, 7, 1))


def test_an_entry_may_be_a_parsed_object_too():
    assert parse_entry(json.loads(EC2_M5_LARGE_SYDNEY))[0].usd == 0.12


@pytest.mark.parametrize("mangle, message", [
    (lambda d: "not json", "not JSON"),
    (lambda d: {**d, "product": None}, "no 'product' object"),
    (lambda d: {**d, "product": {**d["product"], "sku": None}}, "without sku"),
    (lambda d: _dimension(d, pricePerUnit={"EUR": "1"}), "has no USD price"),
    (lambda d: _dimension(d, beginRange="5"), "no tier starting at 0"),
    (lambda d: _term(d, effectiveDate="yesterday"), "is not an ISO 8601 time"),
])
def test_a_malformed_entry_is_refused_naming_the_sku_and_what_is_wrong(mangle, message):
    document = json.loads(EC2_M5_LARGE_SYDNEY)
    mangled = mangle(document)
    with pytest.raises(PriceListError, match=message):
        parse_entry(mangled if isinstance(mangled, str) else json.dumps(mangled), "PriceList[3]")


def _term(document: dict, **changes) -> dict:
    (term,) = document["terms"]["OnDemand"].values()
    term.update(changes)
    return document


def _dimension(document: dict, **changes) -> dict:
    (term,) = document["terms"]["OnDemand"].values()
    (dimension,) = term["priceDimensions"].values()
    dimension.update(changes)
    return document
