-- What each NAT gateway carried per UTC day, and what its data processing cost: one row per (gateway, day) with a
-- byte statistic, each day taken from the latest snapshot that has it (days accumulate across snapshots).
-- processed_bytes = BytesInFromSource + BytesInFromDestination: AWS bills NAT data processing per GB whichever way
-- it flows (https://aws.amazon.com/vpc/pricing/), and every byte through the gateway is received once, from a client
-- in the VPC or from the destination; the Bytes*Out* statistics are the same traffic leaving
-- (https://docs.aws.amazon.com/vpc/latest/userguide/metrics-dimensions-nat-gateway.html). bytes_out_to_destination
-- is what went out to the internet or other destinations. processed_usd: processed GB (1024^3 bytes) x the region's
-- nat:data-processed price valid that day; null when there is none.
with nat_metrics as (
    select * from staging.stg_aws__nat_gateway_metrics
),

prices as (
    select * from intermediate.int_waste__prices
    where price_key = 'nat:data-processed' and unit = 'GB'
),

latest_per_day as (
    select
        account_id,
        region,
        nat_gateway_id,
        metric_name,
        metric_date,
        arg_max(metric_value, snapshot_date)                        as metric_value
    from nat_metrics
    where statistic = 'Sum'
    group by all
),

per_day as (
    select
        account_id,
        region,
        nat_gateway_id,
        metric_date,
        sum(metric_value) filter (where metric_name in ('BytesInFromSource', 'BytesInFromDestination'))
                                                                    as processed_bytes,
        sum(metric_value) filter (where metric_name = 'BytesOutToDestination') as bytes_out_to_destination
    from latest_per_day
    group by all
),

final as (
    select
        per_day.*,
        per_day.processed_bytes / 1024.0 ^ 3 * prices.usd          as processed_usd
    from per_day
    left join prices
        on prices.region = per_day.region
       and prices.valid_from <= per_day.metric_date
       and (prices.valid_to is null or per_day.metric_date < prices.valid_to)
)

select * from final
