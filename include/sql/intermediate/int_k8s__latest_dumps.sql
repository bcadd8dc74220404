-- materialized: table
-- One row per Kubernetes cluster (configured in the accounts file or present in the ledger): its latest
-- successful dump, the one the "current" Kubernetes marts read, and whether that dump is stale.
-- A table, not a view: it reads seed_clusters (the accounts file), which exists only during a build.
--
-- A cluster is stale when its latest attempt (the newest dump the ledger handled, by dump time) was not
-- ok, when it never had an ok dump, or when its latest ok dump is older than the cluster's
-- stale_after_minutes measured back from the newest dump_at of any cluster (the pipeline's own clock,
-- so a rebuild of an old lake gives the same answer as the build that day).
--
-- The current rows of a Kubernetes table are its staging rows from the cluster's latest ok dump (the lake
-- rows carry dump_at, not the drop-box key):
--   from staging.stg_k8s__pods as p
--   join intermediate.int_k8s__latest_dumps as d
--     on d.cluster = p.cluster and d.dump_at = p.dump_at
with dumps as (
    select * from staging.stg_manifest__k8s_dumps
),

clusters as (
    select * from seed_clusters
),

newest as (
    select max(dump_at) as newest_dump_at from dumps where status = 'ok'
),

latest_ok as (
    select
        cluster,
        arg_max(dump_key, dump_at)                                      as dump_key,
        max(dump_at)                                                    as dump_at,
        arg_max(snapshot_date, dump_at)                                 as snapshot_date,
        arg_max(account_id, dump_at)                                    as account_id,
        arg_max(region, dump_at)                                        as region
    from dumps
    where status = 'ok'
    group by cluster
),

latest_attempt as (
    select
        cluster,
        arg_max(status, coalesce(dump_at, started_at))                  as last_attempt_status,
        max(coalesce(dump_at, started_at))                              as last_attempt_at
    from dumps
    group by cluster
),

all_clusters as (
    select cluster from clusters
    union
    select cluster from dumps
),

final as (
    select
        all_clusters.cluster,
        coalesce(clusters.account_id, latest_ok.account_id)            as account_id,
        coalesce(clusters.region, latest_ok.region)                    as region,
        latest_ok.dump_key,
        latest_ok.dump_at,
        latest_ok.snapshot_date,
        latest_attempt.last_attempt_status,
        latest_attempt.last_attempt_at,
        clusters.stale_after_minutes,
        clusters.cluster is not null                                    as is_configured,
        latest_ok.dump_at is null
            or latest_attempt.last_attempt_status <> 'ok'
            or clusters.stale_after_minutes is null
            or latest_ok.dump_at
               < newest.newest_dump_at - to_minutes(clusters.stale_after_minutes)
                                                                        as is_stale
    from all_clusters
    left join clusters using (cluster)
    left join latest_ok using (cluster)
    left join latest_attempt using (cluster)
    cross join newest
)

select * from final
