-- One row per Kubernetes cluster: intermediate.int_k8s__latest_dumps (its latest ok dump, the one the current
-- marts read, and whether it is stale: latest attempt not ok, or latest ok dump older than stale_after_minutes
-- measured back from the newest dump of any cluster), plus what inventory_current shows for a stale cluster:
-- stale_since and the latest attempt's error.
--   stale_since: the latest ok dump plus stale_after_minutes, or the first failed attempt after that dump,
--   whichever came first (for a cluster that never had an ok dump: its first attempt).
with latest_dumps as (
    select * from intermediate.int_k8s__latest_dumps
),

dumps as (
    select * from staging.stg_manifest__k8s_dumps
),

attempts as (
    select
        cluster,
        coalesce(dump_at, started_at)                               as attempted_at,
        status,
        error_class,
        error_message
    from dumps
),

last_errors as (
    select
        cluster,
        arg_max(error_class, attempted_at)                          as last_error_class,
        arg_max(error_message, attempted_at)                        as last_error_message
    from attempts
    group by cluster
),

failed_after_ok as (
    select
        latest_dumps.cluster,
        min(attempts.attempted_at)                                  as first_failed_at
    from latest_dumps
    inner join attempts
        on attempts.cluster = latest_dumps.cluster
        and attempts.status <> 'ok'
        and (latest_dumps.dump_at is null or attempts.attempted_at > latest_dumps.dump_at)
    group by latest_dumps.cluster
),

final as (
    select
        latest_dumps.cluster,
        latest_dumps.account_id,
        latest_dumps.region,
        latest_dumps.is_configured,
        latest_dumps.stale_after_minutes,
        latest_dumps.dump_at                                        as last_ok_dump_at,
        latest_dumps.snapshot_date                                  as last_ok_snapshot_date,
        latest_dumps.last_attempt_at,
        latest_dumps.last_attempt_status,
        last_errors.last_error_class,
        last_errors.last_error_message,
        latest_dumps.is_stale,
        case when latest_dumps.is_stale then
            coalesce(
                least(latest_dumps.dump_at + to_minutes(latest_dumps.stale_after_minutes),
                      failed_after_ok.first_failed_at),
                latest_dumps.dump_at,
                failed_after_ok.first_failed_at
            )
        end                                                         as stale_since
    from latest_dumps
    left join last_errors
        on last_errors.cluster = latest_dumps.cluster
    left join failed_after_ok
        on failed_after_ok.cluster = latest_dumps.cluster
)

select * from final
