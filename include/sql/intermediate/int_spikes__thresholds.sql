-- materialized: table
-- The spike rule's thresholds (include/config/seeds/cost_spike_thresholds.csv) as one typed row. A threshold
-- missing from the seed fails the build naming it (a rule silently matching nothing would look like "no spike").
with cost_spike_thresholds as (
    select * from seed_cost_spike_thresholds
),

pivoted as (
    select
        max(cast(value as double)) filter (where name = 'spike_min_ratio')             as spike_min_ratio,
        max(cast(value as double)) filter (where name = 'spike_baseline_days')         as spike_baseline_days,
        max(cast(value as double)) filter (where name = 'log_ingestion_floor_usd')     as log_ingestion_floor_usd,
        max(cast(value as double)) filter (where name = 'service_spend_floor_usd')     as service_spend_floor_usd
    from cost_spike_thresholds
),

final as (
    select
        coalesce(spike_min_ratio, error('cost_spike_thresholds.csv has no spike_min_ratio')) as spike_min_ratio,
        cast(coalesce(spike_baseline_days,
                      error('cost_spike_thresholds.csv has no spike_baseline_days')) as integer)
                                                                            as spike_baseline_days,
        coalesce(log_ingestion_floor_usd,
                 error('cost_spike_thresholds.csv has no log_ingestion_floor_usd'))   as log_ingestion_floor_usd,
        coalesce(service_spend_floor_usd,
                 error('cost_spike_thresholds.csv has no service_spend_floor_usd'))   as service_spend_floor_usd
    from pivoted
)

select * from final
