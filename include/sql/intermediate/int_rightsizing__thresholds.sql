-- materialized: table
-- The rightsizing thresholds (include/config/seeds/rightsizing_thresholds.csv) as one typed row, with the
-- waste rules' hours_per_month (one month's hours is one number for every mart). A threshold missing from
-- the seed fails the build naming it (a rule silently matching nothing would look like "nothing to resize").
with rightsizing_thresholds as (
    select * from seed_rightsizing_thresholds
),

waste_thresholds as (
    select * from intermediate.int_waste__thresholds
),

pivoted as (
    select
        max(cast(value as double)) filter (where name = 'max_cpu_percent')              as max_cpu_percent,
        max(cast(value as double)) filter (where name = 'max_memory_percent')           as max_memory_percent,
        max(cast(value as double)) filter (where name = 'window_days')                  as window_days,
        max(cast(value as double)) filter (where name = 'min_days')                     as min_days
    from rightsizing_thresholds
),

final as (
    select
        coalesce(max_cpu_percent, error('rightsizing_thresholds.csv has no max_cpu_percent'))
                                                                            as max_cpu_percent,
        coalesce(max_memory_percent, error('rightsizing_thresholds.csv has no max_memory_percent'))
                                                                            as max_memory_percent,
        cast(case
                 when window_days is null then error('rightsizing_thresholds.csv has no window_days')
                 when window_days > 14 then error('rightsizing_thresholds.csv: window_days is at most 14, the days '
                                                  || 'of statistics each metrics snapshot holds')
                 else window_days end as integer)                           as window_days,
        cast(coalesce(min_days, error('rightsizing_thresholds.csv has no min_days')) as integer)
                                                                            as min_days,
        waste_thresholds.hours_per_month
    from pivoted
    cross join waste_thresholds
)

select * from final
