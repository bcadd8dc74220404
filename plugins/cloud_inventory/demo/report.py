"""What `make demo` prints at the end from the warehouse: waste, rightsizing, idle NAT gateways, cost spikes, the
changes between the demo days, and the quality run's stale sources, digest and Data Docs. Each part says so when its
table is not there."""
from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from cloud_inventory.cli import format_table


def _query(con, sql: str) -> tuple[list[str], list[tuple]] | None:
    import duckdb

    try:
        cursor = con.execute(sql)
    except duckdb.CatalogException:
        return None
    return [d[0] for d in cursor.description], cursor.fetchall()


def _section(con, title: str, sql: str) -> None:
    print(f"\n{title}\n")
    result = _query(con, sql)
    print(format_table(*result) if result else "(not built)")


def print_marts(warehouse: Path) -> None:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        _section(con, "Waste by account (list prices, per month and year; marts.waste_summary)",
                 "select account_name, category, resources, est_monthly_usd, est_annual_usd from marts.waste_summary "
                 "where row_kind in ('account_category', 'account_total', 'grand_total') "
                 "order by account_id = 'ALL', account_name, category = 'TOTAL', est_monthly_usd desc")
        _section(con, "Top 10 wasteful resources (marts.waste)",
                 "select category, account_name, region, resource_name, detail, est_monthly_usd from marts.waste "
                 "order by est_monthly_usd desc nulls last limit 10")
        _section(con, "Rightsizing: low CPU and memory over 14 days, the next smaller size (marts.rightsizing)",
                 "select account_name, region, resource_name, recommendation, current_type, proposed_type, "
                 "max_cpu_percent as cpu_pct, max_memory_percent as mem_pct, current_monthly_usd, monthly_saving_usd, "
                 "coalesce(unpriced_reason, '') as why_no_saving from marts.rightsizing "
                 "order by recommendation <> 'downsize', monthly_saving_usd desc nulls last, resource_name")
        _section(con, "Idle NAT gateways (marts.waste, category idle_nat_gateway)",
                 "select account_name, region, resource_name, resource_id, detail, est_monthly_usd from marts.waste "
                 "where category = 'idle_nat_gateway' order by est_monthly_usd desc nulls last")
        _section(con, "NAT gateways: data processed and its cost over the days of statistics "
                      "(marts.nat_gateway_traffic)",
                 "select account_name, region, nat_gateway_name, nat_gateway_id, count(*) as days, "
                 "round(sum(processed_gb), 1) as processed_gb, "
                 "round(sum(bytes_out_to_destination_gb), 1) as out_to_destination_gb, "
                 "cast(round(sum(processed_usd), 2) as decimal(12, 2)) as processing_usd "
                 "from marts.nat_gateway_traffic group by all order by processing_usd desc")
        _section(con, "Cost spikes: log ingestion and service spend (marts.cost_spikes)",
                 "select spike_date, spike_kind, account_name, region, resource_id, day_usd, baseline_median_usd, "
                 "ratio, cluster, evicted_pods, crash_looping_pods from marts.cost_spikes "
                 "order by spike_date desc, day_usd desc")
        _section(con, "  and what each says",
                 "select detail from marts.cost_spikes order by spike_date desc, day_usd desc")
        _section(con, "Changes between the demo days (marts.resource_changes, instances and security groups)",
                 "select snapshot_date as day, resource_type, resource_id, name, field, old_value, new_value "
                 "from marts.resource_changes where resource_type in ('ec2_instance', 'security_group') "
                 "and change_kind not in ('created', 'deleted') order by 1, 2, 3, 4")


def print_prices(warehouse: Path) -> None:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        _section(con, "Prices in effect, by source (intermediate.int_waste__prices: Price List API over the seed)",
                 "select region, price_source, count(*) as prices, min(valid_from) as oldest, max(valid_from) as newest "
                 "from intermediate.int_waste__prices where valid_to is null group by all order by all")
        _section(con, "Findings without a price, and why (marts.waste)",
                 "select category, account_name, region, resource_name, unpriced_reason from marts.waste "
                 "where not price_known order by all")


def print_quality(warehouse: Path, messages: list[EmailMessage], mail_dir: Path, data_docs: Path) -> None:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        _section(con, "Sources not fresh (marts.source_freshness, as of the quality run)",
                 "select status, account_name, region, coalesce(cluster, count(*) || ' resource types') as what, "
                 "min(status_since) as since, any_value(last_error) as last_error from marts.source_freshness "
                 "where status <> 'fresh' group by status, account_name, region, cluster order by 1, 2, 3")
        _section(con, "Digests of what is new (dq.digests; the first is the baseline)",
                 "select run_id, digest_at, baseline, current_items, new_items, email_sent, subject from dq.digests "
                 "order by digest_at")
        _section(con, "Checks (dq.check_results of the last quality run)",
                 "select check_name = 'source_freshness' as freshness, status, count(*) as checks "
                 "from dq.check_results where run_id = (select arg_max(run_id, checked_at) from dq.runs) "
                 "group by all order by all")
    print(f"\nEmails caught by the demo's mail sink ({mail_dir}):")
    for number, message in enumerate(messages, start=1):
        print(f"  {number:03d}.html  to {message['To']}: {message['Subject']}")
    if not messages:
        print("  (none)")
    print(f"\nGreat Expectations Data Docs: {data_docs}")
