"""Read the Price List Query API's answer: each PriceList entry is a JSON *string* (FormatVersion aws_v1).

    {"product": {"productFamily", "attributes": {..., "usagetype", "regionCode"}, "sku"}, "serviceCode",
     "terms": {"OnDemand": {"<sku>.<offerTermCode>": {"sku", "offerTermCode", "effectiveDate",
         "priceDimensions": {"<sku>.<offerTermCode>.<rateCode>": {"unit", "pricePerUnit": {"USD"},
             "beginRange", "endRange", "description", "rateCode", "appliesTo"}}, "termAttributes"}},
               "Reserved": {...}},
     "version", "publicationDate"}

Only OnDemand terms are read. A tiered dimension set (CloudWatch vended logs, io2 IOPS) gives its first tier
(beginRange 0), and the row says so in `tier_note`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime


class PriceListError(ValueError):
    """An entry that is not shaped like the Price List API's; the message says what and where."""


@dataclass(frozen=True)
class OnDemandPrice:
    sku: str
    service_code: str
    product_family: str | None
    usagetype: str
    region_code: str | None
    offer_term_code: str
    rate_code: str
    api_unit: str
    usd: float
    description: str
    begin_range: str
    end_range: str
    tiers: int  # dimensions in the term (1 unless tiered)
    effective_date: date
    publication_date: datetime | None
    version: str | None
    attributes: dict

    @property
    def tier_note(self) -> str | None:
        if self.tiers <= 1:
            return None
        return (f"first of {self.tiers} tiers ({self.begin_range} to {self.end_range} {self.api_unit}); "
                "later tiers are cheaper")


def _timestamp(text: str | None, what: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PriceListError(f"{what}: {text!r} is not an ISO 8601 time") from None


def parse_entry(entry: str | dict, where: str = "PriceList entry") -> list[OnDemandPrice]:
    """The on-demand prices of one PriceList entry (one per OnDemand term; usually one)."""
    try:
        document = json.loads(entry) if isinstance(entry, (str, bytes)) else entry
    except ValueError as error:
        raise PriceListError(f"{where}: not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("product"), dict):
        raise PriceListError(f"{where}: no 'product' object")
    product = document["product"]
    sku = product.get("sku")
    attributes = product.get("attributes") or {}
    if not sku or not isinstance(attributes, dict):
        raise PriceListError(f"{where}: product without sku or attributes")
    where = f"{where} (SKU {sku})"
    on_demand = (document.get("terms") or {}).get("OnDemand") or {}
    if not isinstance(on_demand, dict):
        raise PriceListError(f"{where}: terms.OnDemand is not an object")
    publication = _timestamp(document.get("publicationDate"), f"{where} publicationDate")
    prices = []
    for term_key, term in sorted(on_demand.items()):
        dimensions = term.get("priceDimensions") or {}
        if not dimensions:
            raise PriceListError(f"{where}: term {term_key} has no priceDimensions")
        first = min(dimensions.values(), key=lambda d: _begin(d, where))
        if _begin(first, where) != 0:
            raise PriceListError(f"{where}: term {term_key} has no tier starting at 0")
        usd_text = (first.get("pricePerUnit") or {}).get("USD")
        try:
            usd = float(usd_text)
        except (TypeError, ValueError):
            raise PriceListError(f"{where}: term {term_key} has no USD price ({usd_text!r})") from None
        effective = _timestamp(term.get("effectiveDate"), f"{where} effectiveDate")
        if effective is None:
            raise PriceListError(f"{where}: term {term_key} has no effectiveDate")
        prices.append(OnDemandPrice(
            sku=sku, service_code=document.get("serviceCode") or attributes.get("servicecode") or "",
            product_family=product.get("productFamily"), usagetype=attributes.get("usagetype") or "",
            region_code=attributes.get("regionCode"), offer_term_code=term.get("offerTermCode") or "",
            rate_code=first.get("rateCode") or "", api_unit=first.get("unit") or "", usd=usd,
            description=first.get("description") or "", begin_range=str(first.get("beginRange", "0")),
            end_range=str(first.get("endRange", "Inf")), tiers=len(dimensions), effective_date=effective.date(),
            publication_date=publication, version=document.get("version"), attributes=attributes))
    return prices


def _begin(dimension: dict, where: str) -> float:
    try:
        return float(dimension.get("beginRange", 0))
    except (TypeError, ValueError):
        raise PriceListError(f"{where}: beginRange {dimension.get('beginRange')!r} is not a number") from None
