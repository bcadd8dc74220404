-- Daily CloudWatch statistics of RDS DB instances, one row per (resource, metric, statistic, day).
-- Every metrics snapshot repeats the last 14 days, so each day is taken from the latest snapshot that
-- has it (a later snapshot sees late datapoints an earlier one missed). Days accumulate across
-- snapshots: the history is longer than one snapshot's 14 days. (EC2 instances' CPU is read in
-- int_waste__instance_findings, which takes the latest value of a day only for the days it needs.)
-- window_end_date is the day after the last whole day the metrics source's latest ok snapshot covers
-- (its last_ok_snapshot_date): the waste rules count their windows back from it.
with rds_metrics as (
    select * from staging.stg_aws__rds_instance_metrics
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

latest_per_day as (
    select
        resource_type                                               as metric_source,
        account_id,
        region,
        db_instance_id                                              as resource_id,
        metric_name,
        statistic,
        metric_date,
        arg_max(metric_value, snapshot_date)                        as metric_value,
        max(snapshot_date)                                          as from_snapshot_date
    from rds_metrics
    group by all
),

final as (
    select
        latest_per_day.*,
        source_snapshots.last_ok_snapshot_date                      as window_end_date,
        coalesce(source_snapshots.is_stale, true)                   as is_stale
    from latest_per_day
    left join source_snapshots
        on source_snapshots.resource_type = latest_per_day.metric_source
       and source_snapshots.account_id = latest_per_day.account_id
       and source_snapshots.source_region = latest_per_day.region
)

select * from final
