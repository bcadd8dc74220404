-- One row per source the configuration expects: every (account, region, resource type) of the accounts
-- file (with `regions: all` and Organizations members, the ones their manifests show) and every
-- Kubernetes cluster. Sources no longer in the configuration are not reported.
-- status, as of the build (getvariable('as_of'): the build's one instant, normally now):
--   never    no successful snapshot or dump ever
--   failing  the latest attempt was not ok (failed, denied, quarantined)
--   stale    the last success is older than the threshold (strictly: exactly at the threshold is fresh)
--   fresh    otherwise
-- Thresholds: include/config/seeds/freshness_thresholds.csv per source kind and resource type ('*' for
-- any), and per cluster its stale_after_minutes in the accounts file (default three missed dumps).
with expected as (
    select * from seed_expected_sources
),

clusters as (
    select * from seed_clusters
),

accounts as (
    select * from seed_accounts
),

thresholds as (
    select * from seed_freshness_thresholds
),

runs as (
    select * from staging.stg_manifest__aws_runs
),

dumps as (
    select * from staging.stg_manifest__k8s_dumps
),

seen as (
    select account_id, region, resource_type, arg_max(account_name, finished_at) as account_name
    from runs
    group by all
),

aws_expected as (
    select account_id, account_name, region, resource_type
    from expected
    where account_id <> '*' and region <> '*'
    union
    select seen.account_id, coalesce(expected.account_name, seen.account_name), seen.region, seen.resource_type
    from seen
    join expected
      on expected.resource_type = seen.resource_type
     and (expected.account_id = seen.account_id
          or (expected.account_id = '*' and not list_contains(expected.excluded_accounts, seen.account_id)))
     and (expected.region = seen.region or (expected.region = '*' and seen.region <> 'global'))
    where expected.account_id = '*' or expected.region = '*'
),

aws_attempts as (
    select
        account_id,
        region,
        resource_type,
        max(finished_at) filter (where status = 'ok')                           as last_success_at,
        min(finished_at)                                                        as first_attempt_at,
        max(finished_at)                                                        as last_attempt_at,
        arg_max(status, finished_at)                                            as last_attempt_status,
        arg_max(error_class || ': ' || coalesce(error_message, ''), finished_at) as last_error
    from runs
    group by all
),

aws_first_failure as (
    select runs.account_id, runs.region, runs.resource_type, min(runs.finished_at) as failing_since
    from runs
    join aws_attempts using (account_id, region, resource_type)
    where runs.status <> 'ok' and (aws_attempts.last_success_at is null
                                   or runs.finished_at > aws_attempts.last_success_at)
    group by all
),

aws_sources as (
    select
        'aws'                                                                   as source_kind,
        aws_expected.account_id || '/' || aws_expected.region || '/' || aws_expected.resource_type as source,
        aws_expected.account_id,
        coalesce(accounts.account_name, aws_expected.account_name)              as account_name,
        aws_expected.region,
        aws_expected.resource_type,
        cast(null as varchar)                                                   as cluster,
        aws_attempts.last_success_at,
        aws_attempts.first_attempt_at,
        aws_attempts.last_attempt_at,
        aws_attempts.last_attempt_status,
        case when aws_attempts.last_attempt_status <> 'ok' then aws_attempts.last_error end as last_error,
        aws_first_failure.failing_since,
        coalesce(by_type.stale_after_minutes, by_kind.stale_after_minutes)      as threshold_minutes
    from aws_expected
    left join accounts using (account_id)
    left join aws_attempts using (account_id, region, resource_type)
    left join aws_first_failure using (account_id, region, resource_type)
    left join thresholds as by_type
      on by_type.source_kind = 'aws' and by_type.resource_type = aws_expected.resource_type
    left join thresholds as by_kind
      on by_kind.source_kind = 'aws' and by_kind.resource_type = '*'
),

dump_attempts as (
    select
        cluster,
        max(dump_at) filter (where status = 'ok')                               as last_success_at,
        min(finished_at)                                                        as first_attempt_at,
        max(finished_at)                                                        as last_attempt_at,
        arg_max(status, finished_at)                                            as last_attempt_status,
        arg_max(error_class || ': ' || coalesce(error_message, ''), finished_at) as last_error,
        min(finished_at) filter (where status <> 'ok')                          as first_failure_at
    from dumps
    group by all
),

k8s_sources as (
    select
        'k8s'                                                                   as source_kind,
        'cluster/' || clusters.cluster                                          as source,
        clusters.account_id,
        accounts.account_name,
        clusters.region,
        'k8s_dump'                                                              as resource_type,
        clusters.cluster,
        dump_attempts.last_success_at,
        dump_attempts.first_attempt_at,
        dump_attempts.last_attempt_at,
        dump_attempts.last_attempt_status,
        case when dump_attempts.last_attempt_status <> 'ok' then dump_attempts.last_error end as last_error,
        case when dump_attempts.last_attempt_status <> 'ok' then dump_attempts.first_failure_at end as failing_since,
        clusters.stale_after_minutes                                            as threshold_minutes
    from clusters
    left join accounts using (account_id)
    left join dump_attempts using (cluster)
),

sources as (
    select * from aws_sources
    union all by name
    select * from k8s_sources
),

final as (
    select
        source_kind,
        source,
        account_id,
        account_name,
        region,
        resource_type,
        cluster,
        case
            when last_success_at is null then 'never'
            when last_attempt_status <> 'ok' then 'failing'
            when getvariable('as_of') - last_success_at > to_minutes(cast(threshold_minutes as bigint)) then 'stale'
            else 'fresh'
        end                                                                     as status,
        case
            when last_success_at is null then first_attempt_at
            when last_attempt_status <> 'ok' then failing_since
            when getvariable('as_of') - last_success_at > to_minutes(cast(threshold_minutes as bigint))
                then last_success_at + to_minutes(cast(threshold_minutes as bigint))
        end                                                                     as status_since,
        last_success_at,
        round(date_diff('second', last_success_at, getvariable('as_of')) / 60.0, 1)            as age_minutes,
        cast(threshold_minutes as bigint)                                       as threshold_minutes,
        last_attempt_at,
        last_attempt_status,
        last_error,
        getvariable('as_of')                                                    as checked_at
    from sources
)

select * from final
