"""Daily spend per service and account from Cost Explorer (ce:GetCostAndUsage), for the spend-spike rule.

One call per account (a global type: Cost Explorer answers in us-east-1 only), DAILY over the same 14 whole
UTC days as the CloudWatch statistics, grouped by SERVICE and LINKED_ACCOUNT: a management (payer) account
sees every member's spend, a member account its own; the marts keep one row per (linked account, service, day).
An account without Cost Explorer answers AccessDeniedException ("User not enabled for cost explorer access",
or a member account the payer did not grant it): the manifest records it as denied, not as "no spend".
One item per (day, service, linked account).
"""
from __future__ import annotations

from typing import Iterator

from cloud_inventory.aws.metrics import statistics_window

COST_METRIC = "UnblendedCost"  # what the bill charges before credits and discounts are applied
MAX_PAGES = 100  # 14 days x (services x accounts) fits in a few pages; more would be a runaway token loop


def daily_service_cost_items(response: dict) -> list[dict]:
    """The (day, service, linked account) amounts of one GetCostAndUsage page."""
    items = []
    for period in response.get("ResultsByTime", []):
        for group in period.get("Groups", []):
            keys = group.get("Keys", [])
            if len(keys) != 2:
                raise ValueError(f"GetCostAndUsage group with keys {keys!r}: expected [service, linked account]")
            cost = group.get("Metrics", {}).get(COST_METRIC, {})
            items.append({"TimePeriod": period["TimePeriod"], "Service": keys[0], "LinkedAccountId": keys[1],
                          "Metric": COST_METRIC, "Amount": cost.get("Amount"), "Unit": cost.get("Unit"),
                          "Estimated": period.get("Estimated")})
    return items


def fetch_daily_service_costs(context) -> Iterator[list[dict]]:
    """Pages of daily spend per service and linked account over the statistics window."""
    client = context.client("ce")
    start, end = statistics_window(context.snapshot_at)
    request = {"TimePeriod": {"Start": start.date().isoformat(), "End": end.date().isoformat()},
               "Granularity": "DAILY", "Metrics": [COST_METRIC],
               "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}]}
    token = None
    for _ in range(MAX_PAGES):  # GetCostAndUsage has no boto3 paginator
        response = client.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        yield daily_service_cost_items(response)
        token = response.get("NextPageToken")
        if not token:
            return
    raise RuntimeError(f"GetCostAndUsage still had more pages after {MAX_PAGES}")


def cost_item_id(item: dict) -> str:
    return f"{item['LinkedAccountId']}/{item['Service']}/{item['TimePeriod']['Start']}"
