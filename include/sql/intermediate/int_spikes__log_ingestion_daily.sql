-- The bytes each CloudWatch Logs log group took in per UTC day and what that cost: one row per (log group,
-- day) over the days the log group metrics source looked at, a day without a datapoint being a day of 0
-- bytes (CloudWatch publishes no IncomingBytes when nothing is ingested). Every metrics snapshot covers the
-- 14 whole days before it was taken (aws/metrics.py DAYS); days accumulate across snapshots, each taken from
-- the latest snapshot that has it. Priced at the region's logs:ingestion price valid that day (per GB of
-- 1024^3 bytes); null when there is none.
with metrics as (
    select * from staging.stg_aws__log_group_metrics
),

prices as (
    select * from intermediate.int_waste__prices
    where price_key = 'logs:ingestion' and unit = 'GB'
),

latest_per_day as (
    select
        account_id,
        region,
        log_group_name,
        metric_date,
        arg_max(metric_value, snapshot_date)                        as incoming_bytes
    from metrics
    where metric_name = 'IncomingBytes' and statistic = 'Sum'
    group by all
),

covered as (
    -- the days the source looked at in each account and region: each snapshot's 14 whole days before it (a gap
    -- between snapshots longer than that stays a gap, never days of nothing)
    select distinct
        account_id,
        region,
        cast(unnest(generate_series(taken_on - 14, taken_on - 1, interval 1 day)) as date) as cost_date
    from (select distinct account_id, region, cast(timezone('UTC', snapshot_at) as date) as taken_on from metrics)
),

log_groups as (
    select distinct account_id, region, log_group_name from latest_per_day
),

calendar as (
    select
        log_groups.*,
        covered.cost_date
    from log_groups
    join covered
        on covered.account_id = log_groups.account_id
       and covered.region = log_groups.region
),

final as (
    select
        calendar.account_id,
        calendar.region,
        calendar.log_group_name,
        calendar.cost_date,
        coalesce(latest_per_day.incoming_bytes, 0)                  as incoming_bytes,
        prices.usd                                                  as usd_per_gb,
        coalesce(latest_per_day.incoming_bytes, 0) / 1024.0 ^ 3 * prices.usd as day_usd
    from calendar
    left join latest_per_day
        on latest_per_day.account_id = calendar.account_id
       and latest_per_day.region = calendar.region
       and latest_per_day.log_group_name = calendar.log_group_name
       and latest_per_day.metric_date = calendar.cost_date
    left join prices
        on prices.region = calendar.region
       and prices.valid_from <= calendar.cost_date
       and (prices.valid_to is null or calendar.cost_date < prices.valid_to)
)

select * from final
