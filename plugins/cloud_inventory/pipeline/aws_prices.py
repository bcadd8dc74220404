"""aws_prices' work: ask the Price List Query API for every price key the lake's recent snapshots call for and
write the answers, dated, to the lake (pricing/dataset.py).

get: `get_products` (paginated, at most MAX_PAGES pages per query) through the session machinery of
aws/sessions.py, as the first account of the accounts file (with organizations only: the worker's own
credentials), at the API's us-east-1 endpoint; transform: pricing/parse.py and the query's usage type;
write: the lake writer (a rerun replaces the date whole).
A query that fails is recorded with its error and the others go on; earlier dates' prices stay in the lake,
so a failed month never reads as "no price".
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any, Iterable

import pyarrow as pa
from botocore.exceptions import BotoCoreError, ClientError

from cloud_inventory.accounts import load as load_accounts
from cloud_inventory.aws.sessions import account_session, client_config
from cloud_inventory.lake import Lake
from cloud_inventory.pricing.catalog import PriceQuery, Unpriceable, query_for, usagetype_matches
from cloud_inventory.pricing.dataset import PRICES_SCHEMA, partition
from cloud_inventory.pricing.needs import Need, needs_from_lake
from cloud_inventory.pricing.parse import OnDemandPrice, PriceListError, parse_entry
from cloud_inventory.settings import Settings

PRICING_REGION = "us-east-1"  # the Price List Query API answers in us-east-1 (and a few others) for every region
PAGE_SIZE = 100  # the API's largest page
MAX_PAGES = 10  # a query matching more than 1,000 products is too broad to be one price: refused, not read
SUMMARY_LINES = 200  # lines of each list in the run's summary (an XCom); the lake has every row


class TooManyProducts(RuntimeError):
    pass


def pricing_client(settings: Settings):
    """A pricing client acting as the accounts file's first account (any account may read list prices); with
    organizations only, as the worker's own credentials."""
    config = load_accounts(settings.accounts_file)
    if config.accounts:
        session = account_session(config.accounts[0], PRICING_REGION, settings)
    else:
        import boto3

        session = boto3.Session(region_name=PRICING_REGION)
    return session.client("pricing", region_name=PRICING_REGION, config=client_config(settings))


def get_products(client, query: PriceQuery, max_pages: int = MAX_PAGES, page_size: int = PAGE_SIZE) -> list[str]:
    """The PriceList entries (JSON strings) matching the query's filters, every page."""
    entries: list[str] = []
    kwargs: dict[str, Any] = {"ServiceCode": query.service_code, "Filters": query.api_filters(),
                              "FormatVersion": "aws_v1", "MaxResults": page_size}
    for _ in range(max_pages):
        response = client.get_products(**kwargs)
        entries.extend(response.get("PriceList") or [])
        if not response.get("NextToken"):
            return entries
        kwargs["NextToken"] = response["NextToken"]
    raise TooManyProducts(f"more than {max_pages * page_size} products match {query.price_key} in {query.region}: "
                          "the filters are too broad to name one price")


def _row(query: PriceQuery | Unpriceable, status: str, reason: str | None, **fields) -> dict:
    row = {"price_key": query.price_key, "region": query.region, "status": status, "reason": reason}
    if isinstance(query, PriceQuery):
        row.update(unit=query.unit, service_code=query.service_code, api_unit=query.api_unit,
                   filters=json.dumps(query.api_filters()))
    row.update(fields)
    return row


def price_row(query: PriceQuery, entries: Iterable[str]) -> dict:
    """The row for one query's answer: the on-demand price of the product with the query's usage type."""
    matched: list[OnDemandPrice] = []
    for index, entry in enumerate(entries):
        for price in parse_entry(entry, f"PriceList[{index}] for {query.price_key} in {query.region}"):
            if usagetype_matches(price.usagetype, query.usagetype) and price.api_unit == query.api_unit:
                matched.append(price)
    if not matched:
        return _row(query, "not_in_price_list", f"the Price List has no {query.service_code} product for "
                                                f"{query.price_key} in {query.region}", products_matched=0)
    matched.sort(key=lambda price: price.sku)
    chosen = matched[0]
    notes = [note for note in (chosen.tier_note,) if note]
    if len({price.usd for price in matched}) > 1:
        notes.append(f"{len(matched)} products matched at different prices; SKU {chosen.sku} used")
    return _row(query, "priced", "; ".join(notes) or None, usd=chosen.usd * query.factor, sku=chosen.sku,
                usagetype=chosen.usagetype, offer_term_code=chosen.offer_term_code, rate_code=chosen.rate_code,
                api_usd=chosen.usd, description=chosen.description, effective_date=chosen.effective_date,
                publication_date=chosen.publication_date, price_list_version=chosen.version,
                products_matched=len(matched))


def ask(client, query: PriceQuery | Unpriceable) -> dict:
    if isinstance(query, Unpriceable):
        return _row(query, "unpriceable", query.reason)
    try:
        return price_row(query, get_products(client, query))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        return _row(query, "error", f"{code}: {error.response.get('Error', {}).get('Message', '')}")
    except (BotoCoreError, PriceListError, TooManyProducts) as error:
        return _row(query, "error", f"{type(error).__name__}: {error}")


def fetch(client, needs: Iterable[Need]) -> list[dict]:
    """One row per needed key; for instance types, also the smaller sizes until the first the region offers."""
    rows = []
    for need in needs:
        rows.append(ask(client, query_for(need.price_key, need.region)))
        for smaller in need.smaller if rows[-1]["status"] == "priced" else ():
            row = ask(client, query_for(smaller, need.region))
            if row["status"] != "not_in_price_list":  # sizes the family lacks are skipped, not recorded
                rows.append(row)
                break
    # a region where nothing at all was found is not in the price list (or not a commercial region)
    found = {row["region"] for row in rows if row["status"] == "priced"}
    for row in rows:
        if row["status"] == "not_in_price_list" and row["region"] not in found:
            row["reason"] = f"region {row['region']} is not in the Price List (no product found for any key there)"
    unique = {(row["price_key"], row["region"]): row for row in rows}
    return [unique[key] for key in sorted(unique, key=lambda key: (key[1], key[0]))]


def run(settings: Settings, snapshot_date: date, client=None) -> dict:
    """Ask for every needed price and write the date's dataset; returns what it found."""
    lake = Lake(settings.lake_uri)
    needs = needs_from_lake(lake)
    client = client or pricing_client(settings)
    rows = fetch(client, needs)
    snapshot_at = datetime.now(timezone.utc)
    for row in rows:
        row.update(snapshot_date=snapshot_date, snapshot_at=snapshot_at)
    lake.write_table(partition(lake, snapshot_date), pa.Table.from_pylist(rows, schema=PRICES_SCHEMA))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {"snapshot_date": snapshot_date.isoformat(), "keys": len(rows), "counts": counts,
            "errors": [f"{row['price_key']} in {row['region']}: {row['reason']}" for row in rows
                       if row["status"] == "error"][:SUMMARY_LINES],
            "unpriced": [f"{row['price_key']} in {row['region']}: {row['reason']}" for row in rows
                         if row["status"] in ("not_in_price_list", "unpriceable")][:SUMMARY_LINES]}


def format_summary(summary: dict) -> str:
    counts = ", ".join(f"{count} {status}" for status, count in sorted(summary["counts"].items()))
    lines = [f"prices of {summary['snapshot_date']}: {summary['keys']} price keys asked ({counts or 'none'})"]
    lines += [f"  no price: {line}" for line in summary["unpriced"]]
    lines += [f"  ERROR: {line}" for line in summary["errors"]]
    return "\n".join(lines)
