-- materialized: table
-- The waste rules' thresholds (include/config/seeds/waste_thresholds.csv) as one typed row, so a rule
-- reads `thresholds.stopped_instance_min_days`, not a magic number. A threshold missing from the seed
-- fails the build naming it (a rule silently matching nothing would look like "no waste").
with waste_thresholds as (
    select * from seed_waste_thresholds
),

pivoted as (
    select
        max(cast(value as double)) filter (where name = 'stopped_instance_min_days')       as stopped_instance_min_days,
        max(cast(value as double)) filter (where name = 'old_snapshot_min_days')           as old_snapshot_min_days,
        max(cast(value as double)) filter (where name = 'idle_instance_max_cpu_percent')   as idle_instance_max_cpu_percent,
        max(cast(value as double)) filter (where name = 'idle_instance_window_days')       as idle_instance_window_days,
        max(cast(value as double)) filter (where name = 'idle_instance_min_days')          as idle_instance_min_days,
        max(cast(value as double)) filter (where name = 'idle_rds_max_connections')        as idle_rds_max_connections,
        max(cast(value as double)) filter (where name = 'idle_rds_window_days')            as idle_rds_window_days,
        max(cast(value as double)) filter (where name = 'hours_per_month')                 as hours_per_month,
        max(cast(value as double)) filter (where name = 'idle_nat_max_gb')                 as idle_nat_max_gb,
        max(cast(value as double)) filter (where name = 'idle_nat_window_days')            as idle_nat_window_days,
        max(cast(value as double)) filter (where name = 'idle_nat_min_days')               as idle_nat_min_days
    from waste_thresholds
),

final as (
    select
        cast(coalesce(stopped_instance_min_days,
                      error('waste_thresholds.csv has no stopped_instance_min_days')) as integer)
                                                                            as stopped_instance_min_days,
        cast(coalesce(old_snapshot_min_days,
                      error('waste_thresholds.csv has no old_snapshot_min_days')) as integer)
                                                                            as old_snapshot_min_days,
        coalesce(idle_instance_max_cpu_percent,
                 error('waste_thresholds.csv has no idle_instance_max_cpu_percent'))
                                                                            as idle_instance_max_cpu_percent,
        cast(coalesce(idle_instance_window_days,
                      error('waste_thresholds.csv has no idle_instance_window_days')) as integer)
                                                                            as idle_instance_window_days,
        cast(coalesce(idle_instance_min_days,
                      error('waste_thresholds.csv has no idle_instance_min_days')) as integer)
                                                                            as idle_instance_min_days,
        coalesce(idle_rds_max_connections,
                 error('waste_thresholds.csv has no idle_rds_max_connections'))
                                                                            as idle_rds_max_connections,
        cast(coalesce(idle_rds_window_days,
                      error('waste_thresholds.csv has no idle_rds_window_days')) as integer)
                                                                            as idle_rds_window_days,
        coalesce(hours_per_month, error('waste_thresholds.csv has no hours_per_month'))
                                                                            as hours_per_month,
        coalesce(idle_nat_max_gb, error('waste_thresholds.csv has no idle_nat_max_gb'))
                                                                            as idle_nat_max_gb,
        cast(coalesce(idle_nat_window_days,
                      error('waste_thresholds.csv has no idle_nat_window_days')) as integer)
                                                                            as idle_nat_window_days,
        cast(coalesce(idle_nat_min_days,
                      error('waste_thresholds.csv has no idle_nat_min_days')) as integer)
                                                                            as idle_nat_min_days
    from pivoted
)

select * from final
