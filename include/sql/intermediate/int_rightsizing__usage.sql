-- The peaks rightsizing judges by, one row per EC2 or RDS instance with statistics in the window (the
-- rightsizing window_days days ending the day before its metrics source's latest ok snapshot):
--   max_cpu_percent    highest daily Maximum CPUUtilization (EC2 and RDS)
--   max_memory_percent highest daily Maximum CWAgent mem_used_percent (EC2, where the agent publishes it)
--   min_freeable_bytes lowest daily Minimum FreeableMemory (RDS; the mart turns it into a percentage of the
--                      class's memory)
-- and on how many days each was measured.
with daily_metrics as (
    select * from intermediate.int_waste__daily_metrics
),

thresholds as (
    select * from intermediate.int_rightsizing__thresholds
),

in_window as (
    select
        daily_metrics.*
    from daily_metrics
    cross join thresholds
    where daily_metrics.metric_date >= daily_metrics.window_end_date - thresholds.window_days
      and daily_metrics.metric_date < daily_metrics.window_end_date
      and metric_name || '/' || statistic in ('CPUUtilization/Maximum', 'mem_used_percent/Maximum',
                                              'FreeableMemory/Minimum')
),

final as (
    select
        metric_source,
        account_id,
        region,
        resource_id,
        max(metric_value) filter (where metric_name = 'CPUUtilization')     as max_cpu_percent,
        count(*) filter (where metric_name = 'CPUUtilization')              as cpu_days,
        max(metric_value) filter (where metric_name = 'mem_used_percent')   as max_memory_percent,
        min(metric_value) filter (where metric_name = 'FreeableMemory')     as min_freeable_bytes,
        count(*) filter (where metric_name in ('mem_used_percent', 'FreeableMemory')) as memory_days,
        min(metric_date)                                            as first_metric_date,
        max(metric_date)                                            as last_metric_date,
        bool_or(is_stale)                                           as metrics_are_stale
    from in_window
    group by all
)

select * from final
