-- CPU of each EC2 instance over the statistics window of its metric source's latest ok snapshot (the last 14
-- whole UTC days before that snapshot): one row per instance. The statistics staging model repeats each day
-- in every snapshot's window; reading only the latest ok snapshot of each source takes every day once and
-- costs one snapshot, however long the history.
with metrics as (
    select * from staging.stg_aws__ec2_instance_metrics
),

sources as (
    select * from intermediate.int_aws__source_snapshots
),

latest as (
    select
        metrics.*
    from metrics
    inner join sources
        on sources.resource_type = 'ec2_instance_metric'
        and sources.account_id = metrics.account_id
        and sources.source_region = metrics.region
        and metrics.snapshot_date = sources.last_ok_snapshot_date
    where metrics.metric_name = 'CPUUtilization'
),

final as (
    select
        account_id,
        region,
        resource_id                                                 as instance_id,
        avg(metric_value) filter (where statistic = 'Average')      as avg_cpu_percent,
        max(metric_value) filter (where statistic = 'Average')      as max_daily_avg_cpu_percent,
        max(metric_value) filter (where statistic = 'Maximum')      as max_cpu_percent,
        count(distinct metric_date) filter (where statistic = 'Average') as cpu_days,
        min(metric_date)                                            as first_metric_date,
        max(metric_date)                                            as last_metric_date,
        any_value(snapshot_date)                                    as metric_snapshot_date
    from latest
    group by account_id, region, resource_id
)

select * from final
