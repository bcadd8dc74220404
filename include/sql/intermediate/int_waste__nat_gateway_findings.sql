-- Waste among current NAT gateways, one row per finding (the shared int_waste__*_findings shape):
--   idle_nat_gateway: available, with byte statistics on at least idle_nat_min_days days of the last
--     idle_nat_window_days days, and at most idle_nat_max_gb GB processed over them (processed: the bytes it
--     received from clients in the VPC plus from destinations, BytesInFromSource + BytesInFromDestination,
--     what AWS bills data processing on). Costs a month of NAT gateway hours (its data processing is ~0).
--     Wasteful since the day after it last processed more than idle_nat_max_gb GB in one day (a busy day), or
--     the first day the statistics know of.
-- The window ends the day before the gateway's last ok metrics snapshot, like idle_instance's; the days and their
-- processed bytes are int_waste__nat_gateway_traffic's.
with nat_gateways as (
    select * from staging.stg_aws__nat_gateways
),

traffic as (
    select * from intermediate.int_waste__nat_gateway_traffic
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

thresholds as (
    select * from intermediate.int_waste__thresholds
),

processed_in_window as (
    select
        traffic.*,
        traffic.metric_date >= metrics_source.last_ok_snapshot_date - thresholds.idle_nat_window_days
            and traffic.metric_date < metrics_source.last_ok_snapshot_date as in_window,
        traffic.processed_bytes > thresholds.idle_nat_max_gb * 1024.0 ^ 3 as is_busy_day,
        metrics_source.is_stale                                     as metrics_are_stale
    from traffic
    join source_snapshots as metrics_source
        on metrics_source.resource_type = 'nat_gateway_metric'
       and metrics_source.account_id = traffic.account_id
       and metrics_source.source_region = traffic.region
    cross join thresholds
    where traffic.processed_bytes is not null  -- a day with only Bytes*Out* statistics says nothing of processing
),

windowed as (
    select
        account_id,
        region,
        nat_gateway_id,
        count(*) filter (where in_window)                           as window_days,
        coalesce(sum(processed_bytes) filter (where in_window), 0)  as window_processed_bytes,
        sum(processed_usd) filter (where in_window)                 as window_processed_usd,
        max(metric_date) filter (where is_busy_day)                 as last_busy_date,
        min(metric_date)                                            as first_metric_date,
        bool_or(metrics_are_stale)                                  as metrics_are_stale
    from processed_in_window
    group by all
),

idle_nat_gateways as (
    select
        'idle_nat_gateway'                                          as category,
        nat_gateways.account_id,
        nat_gateways.region,
        nat_gateways.resource_type,
        nat_gateways.nat_gateway_id                                 as resource_id,
        nat_gateways.arn                                            as resource_arn,
        nat_gateways.name                                           as resource_name,
        nat_gateways.tags['team']                                   as team_tag,
        coalesce(windowed.last_busy_date + 1, windowed.first_metric_date) as wasteful_since,
        format('{} NAT gateway available in {}; {} processed ({} of data processing) over the last {} days '
               || '(idle at most {} GB)',
               coalesce(nat_gateways.connectivity_type, 'public'), nat_gateways.subnet_id,
               format_bytes(cast(windowed.window_processed_bytes as bigint)),
               coalesce(printf('$%.2f', windowed.window_processed_usd), 'no price'), windowed.window_days,
               thresholds.idle_nat_max_gb)                          as detail,
        [{'price_key': 'nat:hour', 'quantity': thresholds.hours_per_month, 'unit': 'hour'}] as cost_lines,
        [nat_gateways.nat_gateway_id]                               as includes_resource_ids,
        source_snapshots.is_stale or coalesce(windowed.metrics_are_stale, false) as is_stale,
        nat_gateways.snapshot_date                                  as observed_on,
        source_snapshots.latest_run_date                            as as_of_date
    from nat_gateways
    join source_snapshots
        on source_snapshots.resource_type = 'nat_gateway'
       and source_snapshots.account_id = nat_gateways.account_id
       and source_snapshots.source_region = nat_gateways.region
       and nat_gateways.snapshot_date = source_snapshots.last_ok_snapshot_date
    join windowed
        on windowed.account_id = nat_gateways.account_id
       and windowed.region = nat_gateways.region
       and windowed.nat_gateway_id = nat_gateways.nat_gateway_id
    cross join thresholds
    where nat_gateways.state = 'available'
      and windowed.window_days >= thresholds.idle_nat_min_days
      and windowed.window_processed_bytes <= thresholds.idle_nat_max_gb * 1024.0 ^ 3
),

final as (
    select * from idle_nat_gateways
)

select * from final
