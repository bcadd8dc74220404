-- The peaks rightsizing judges by, one row per EC2 or RDS instance with statistics in the window: the rightsizing
-- window_days days ending the day before its metrics source's latest ok snapshot, read from that snapshot alone
-- (each snapshot holds the last 14 whole days, aws/metrics.py's DAYS: window_days is at most 14; reading one
-- snapshot takes every day once and costs one snapshot, however long the history):
--   max_cpu_percent    highest daily Maximum CPUUtilization (EC2 and RDS)
--   max_memory_percent highest daily Maximum CWAgent mem_used_percent (EC2, where the agent publishes it)
--   min_freeable_bytes lowest daily Minimum FreeableMemory (RDS; int_rightsizing__subjects turns it into a
--                      percentage of the class's memory)
-- and on how many days each was measured.
with ec2_metrics as (
    select * from staging.stg_aws__ec2_instance_metrics
),

rds_metrics as (
    select * from staging.stg_aws__rds_instance_metrics
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

thresholds as (
    select * from intermediate.int_rightsizing__thresholds
),

unioned as (
    select resource_type, account_id, region, resource_id, metric_name, statistic, metric_date, metric_value,
           snapshot_date
    from ec2_metrics
    where metric_name || '/' || statistic in ('CPUUtilization/Maximum', 'mem_used_percent/Maximum')
    union all
    select resource_type, account_id, region, resource_id, metric_name, statistic, metric_date, metric_value,
           snapshot_date
    from rds_metrics
    where metric_name || '/' || statistic in ('CPUUtilization/Maximum', 'FreeableMemory/Minimum')
),

in_window as (
    select
        unioned.*,
        source_snapshots.is_stale
    from unioned
    inner join source_snapshots
        on source_snapshots.resource_type = unioned.resource_type
       and source_snapshots.account_id = unioned.account_id
       and source_snapshots.source_region = unioned.region
       and unioned.snapshot_date = source_snapshots.last_ok_snapshot_date
    cross join thresholds
    where unioned.metric_date >= unioned.snapshot_date - thresholds.window_days
      and unioned.metric_date < unioned.snapshot_date
),

final as (
    select
        resource_type                                               as metric_source,
        account_id,
        region,
        resource_id,
        max(metric_value) filter (where metric_name = 'CPUUtilization')     as max_cpu_percent,
        count(distinct metric_date) filter (where metric_name = 'CPUUtilization') as cpu_days,
        max(metric_value) filter (where metric_name = 'mem_used_percent')   as max_memory_percent,
        min(metric_value) filter (where metric_name = 'FreeableMemory')     as min_freeable_bytes,
        count(distinct metric_date) filter (where metric_name in ('mem_used_percent', 'FreeableMemory'))
                                                                    as memory_days,
        min(metric_date)                                            as first_metric_date,
        max(metric_date)                                            as last_metric_date,
        bool_or(is_stale)                                           as metrics_are_stale
    from in_window
    group by all
)

select * from final
