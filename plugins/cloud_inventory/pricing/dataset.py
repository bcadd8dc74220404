"""The lake's prices dataset: <lake>/raw/aws_pricing/prices/dt=<date>/part-0.parquet, one row per (price key,
region) asked on that date: its price from the Price List API with the product's SKU, the term's effective date
and the price list's publication date, or (usd null) the status and reason why there is none."""
from __future__ import annotations

from datetime import date

import pyarrow as pa

from cloud_inventory.lake import PART_FILE, Lake

FOLDER = ("raw", "aws_pricing", "prices")
STATUSES = ("priced", "not_in_price_list", "unpriceable", "error")
PRICES_SCHEMA = pa.schema([
    ("price_key", pa.string()),
    ("region", pa.string()),
    ("unit", pa.string()),  # the price key's unit (hour, GB-month, ...)
    ("usd", pa.float64()),  # per `unit`; null unless status = priced
    ("status", pa.string()),  # priced | not_in_price_list | unpriceable | error
    ("reason", pa.string()),  # why there is no price; for a price: how it was read (first tier, several matched)
    ("service_code", pa.string()),
    ("sku", pa.string()),
    ("usagetype", pa.string()),
    ("offer_term_code", pa.string()),
    ("rate_code", pa.string()),
    ("api_unit", pa.string()),
    ("api_usd", pa.float64()),  # the price as the API lists it, per api_unit
    ("description", pa.string()),
    ("effective_date", pa.date32()),
    ("publication_date", pa.timestamp("us", tz="UTC")),
    ("price_list_version", pa.string()),
    ("filters", pa.string()),  # the TERM_MATCH filters asked, as JSON
    ("products_matched", pa.int32()),
    ("snapshot_date", pa.date32()),
    ("snapshot_at", pa.timestamp("us", tz="UTC")),
])


def partition(lake: Lake, day: date) -> str:
    return lake.path(*FOLDER, f"dt={day.isoformat()}", PART_FILE)
