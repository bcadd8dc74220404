-- The bill blow-ups: one row per (kind, account, region, resource, day) whose cost jumped. Columns, the rule and
-- example queries: docs/data-dictionary/cost_spikes.md.
-- A day is a spike when it cost at least spike_min_ratio times the median of the spike_baseline_days calendar
-- days right before it AND at least its kind's floor in dollars (include/config/seeds/cost_spike_thresholds.csv).
-- A day whose baseline days are not all in the collected history, or not all priced, is not judged.
--   log_ingestion: a CloudWatch Logs log group's IncomingBytes that day x the region's logs:ingestion price. A log
--     group /aws/containerinsights/<cluster>/... names its EKS cluster: the row carries that cluster's evicted and
--     crash-looping pods in its latest ok Kubernetes dump of that day.
--   service_spend: a service's spend in an account that day (Cost Explorer's UnblendedCost, where it answers);
--     region 'global' (Cost Explorer's daily spend is the account's across regions), resource_id the service.
with log_ingestion as (
    select * from intermediate.int_spikes__log_ingestion_daily
),

service_spend as (
    select * from intermediate.int_spikes__service_spend_daily
),

thresholds as (
    select * from intermediate.int_spikes__thresholds
),

accounts as (
    select * from seed_accounts
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

manifest_account_names as (
    select account_id, arg_max(account_name, last_attempt_date) as account_name
    from source_snapshots
    group by all
),

k8s_dumps as (
    select * from staging.stg_manifest__k8s_dumps
),

k8s_unhealthy as (
    select * from intermediate.int_k8s__unhealthy
),

daily as materialized (
    -- one shape for every kind: a resource's cost per day (read twice below: computed once)
    select
        'log_ingestion'                                             as spike_kind,
        'log_group_metric'                                          as source_type,
        account_id,
        account_id                                                  as source_account_id,
        region,
        region                                                      as source_region,
        'log_group'                                                 as resource_type,
        log_group_name                                              as resource_id,
        cost_date,
        day_usd,
        format_bytes(cast(incoming_bytes as bigint)) || ' ingested' as day_amount,
        regexp_extract(log_group_name, '^/aws/containerinsights/([^/]+)/', 1) as cluster
    from log_ingestion
    union all by name
    select
        'service_spend'                                             as spike_kind,
        'ce_service_cost'                                           as source_type,
        linked_account_id                                           as account_id,
        reported_by_account_id                                      as source_account_id,
        'global'                                                    as region,
        'global'                                                    as source_region,
        'service'                                                   as resource_type,
        service                                                     as resource_id,
        cost_date,
        day_usd,
        service || ' spend' || case when is_estimated then ' (estimated)' else '' end as day_amount,
        null                                                        as cluster
    from service_spend
),

candidates as (
    -- only days over their floor can be spikes: the baseline is computed for those alone
    select
        daily.*,
        case daily.spike_kind
            when 'log_ingestion' then thresholds.log_ingestion_floor_usd
            when 'service_spend' then thresholds.service_spend_floor_usd
        end                                                         as floor_usd
    from daily
    cross join thresholds
    where daily.day_usd >= floor_usd  -- the alias above (DuckDB resolves select aliases in where)
),

baselines as (
    select
        candidates.spike_kind,
        candidates.account_id,
        candidates.region,
        candidates.resource_id,
        candidates.cost_date,
        median(base.day_usd)                                        as baseline_median_usd,
        count(base.cost_date)                                       as baseline_days,
        count(base.day_usd)                                         as priced_baseline_days
    from candidates
    cross join thresholds
    join daily as base
        on base.spike_kind = candidates.spike_kind
       and base.account_id = candidates.account_id
       and base.region = candidates.region
       and base.resource_id = candidates.resource_id
       and base.cost_date >= candidates.cost_date - thresholds.spike_baseline_days
       and base.cost_date < candidates.cost_date
    group by all
),

spikes as (
    select
        candidates.*,
        baselines.baseline_median_usd,
        baselines.baseline_days,
        case when baselines.baseline_median_usd > 0
             then candidates.day_usd / baselines.baseline_median_usd end as ratio
    from candidates
    join baselines
        on baselines.spike_kind = candidates.spike_kind
       and baselines.account_id = candidates.account_id
       and baselines.region = candidates.region
       and baselines.resource_id = candidates.resource_id
       and baselines.cost_date = candidates.cost_date
    cross join thresholds
    where baselines.baseline_days = thresholds.spike_baseline_days
      and baselines.priced_baseline_days = thresholds.spike_baseline_days
      and candidates.day_usd >= thresholds.spike_min_ratio * baselines.baseline_median_usd
),

day_dumps as (
    -- each cluster's latest ok Kubernetes dump of each day
    select
        cluster,
        account_id,
        cast(timezone('UTC', dump_at) as date)                      as dump_date,
        max(dump_at)                                                as dump_at
    from k8s_dumps
    where status = 'ok'
    group by all
),

dump_problems as (
    select
        day_dumps.cluster,
        day_dumps.account_id,
        day_dumps.dump_date,
        day_dumps.dump_at,
        cast(count(*) filter (where k8s_unhealthy.problem = 'evicted_pod') as integer)       as evicted_pods,
        cast(count(*) filter (where k8s_unhealthy.problem = 'crash_looping_pod') as integer) as crash_looping_pods
    from day_dumps
    left join k8s_unhealthy
        on k8s_unhealthy.cluster = day_dumps.cluster
       and k8s_unhealthy.dump_at = day_dumps.dump_at
    group by all
),

tied as (
    select
        spikes.*,
        dump_problems.dump_at                                       as k8s_dump_at,
        dump_problems.evicted_pods,
        dump_problems.crash_looping_pods
    from spikes
    left join dump_problems
        on dump_problems.cluster = spikes.cluster
       and coalesce(dump_problems.account_id, spikes.account_id) = spikes.account_id
       and dump_problems.dump_date = spikes.cost_date
),

final as (
    select
        tied.spike_kind,
        tied.account_id,
        coalesce(accounts.account_name, manifest_account_names.account_name) as account_name,
        tied.region,
        tied.resource_type,
        tied.resource_id,
        tied.cost_date                                              as spike_date,
        cast(round(tied.day_usd, 2) as decimal(12, 2))              as day_usd,
        cast(round(tied.baseline_median_usd, 2) as decimal(12, 2))  as baseline_median_usd,
        round(tied.ratio, 1)                                        as ratio,
        tied.floor_usd,
        format('{} on {}: ${} that day against a median of ${} a day over the {} days before{}',
               tied.day_amount, tied.cost_date, printf('%.2f', tied.day_usd),
               printf('%.2f', tied.baseline_median_usd), tied.baseline_days,
               coalesce(printf(' (%.1fx)', tied.ratio), ''))
            || case
                   when nullif(tied.cluster, '') is null then ''
                   when tied.k8s_dump_at is null
                       then format('; EKS cluster {}: no Kubernetes dump of that day', tied.cluster)
                   else format('; EKS cluster {} that day: {} evicted and {} crash-looping pods (dump of {} UTC)',
                               tied.cluster, tied.evicted_pods, tied.crash_looping_pods,
                               strftime(timezone('UTC', tied.k8s_dump_at), '%Y-%m-%d %H:%M'))
               end                                                  as detail,
        nullif(tied.cluster, '')                                    as cluster,
        tied.evicted_pods,
        tied.crash_looping_pods,
        tied.k8s_dump_at,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from tied
    left join accounts
        on accounts.account_id = tied.account_id
    left join manifest_account_names
        on manifest_account_names.account_id = tied.account_id
    left join source_snapshots
        on source_snapshots.resource_type = tied.source_type
       and source_snapshots.account_id = tied.source_account_id
       and source_snapshots.source_region = tied.source_region
)

select * from final
