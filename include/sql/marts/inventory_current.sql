-- marts.inventory_current: one row per live resource, AWS and Kubernetes, as of the latest successful
-- snapshot of its source (an AWS account + region + resource type, or a Kubernetes cluster's latest ok dump).
-- A resource whose source has failed, been denied or gone quiet since stays here with is_stale = true,
-- stale_since, last_ok_snapshot_date and the source's last error: it is never read as deleted.
-- Resources in a terminal state (an EC2 instance `terminated`, a NAT gateway `deleted`) are not live.
-- Documented in docs/data-dictionary/inventory_current.md.
with aws_versions as (
    select * from intermediate.int_inventory__aws_versions
),

aws_named_versions as (
    select * from intermediate.int_inventory__aws_named_versions
),

aws_sources as (
    select * from intermediate.int_inventory__aws_sources
),

k8s_objects as (
    select * from intermediate.int_inventory__k8s_objects
),

k8s_clusters as (
    select * from intermediate.int_inventory__k8s_clusters
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

aws_seen as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        min(valid_from)                                             as first_seen_at,
        min(valid_from_date)                                        as first_seen_date,
        max(last_seen_at)                                           as last_seen_at
    from aws_versions
    group by all
),

-- the version seen in its source's last ok snapshot (the join pattern of int_aws__source_snapshots)
aws_current as (
    select
        'aws'                                                       as provider,
        aws_named_versions.account_id,
        aws_named_versions.region,
        aws_named_versions.source_region,
        null::varchar                                               as cluster,
        null::varchar                                               as namespace,
        aws_named_versions.resource_type,
        aws_named_versions.resource_id,
        aws_named_versions.arn,
        aws_named_versions.name,
        aws_named_versions.state,
        aws_named_versions.tags,
        aws_named_versions.created_at,
        aws_seen.first_seen_at,
        aws_seen.first_seen_date,
        aws_seen.last_seen_at,
        aws_named_versions.last_seen_date                           as snapshot_date,
        aws_named_versions.config_hash,
        aws_sources.is_stale,
        aws_sources.stale_since,
        aws_sources.last_ok_snapshot_date,
        aws_sources.last_attempt_status,
        aws_sources.last_error_class,
        aws_sources.last_error_message,
        aws_sources.account_name                                    as manifest_account_name
    from aws_named_versions
    inner join aws_sources
        on aws_sources.account_id = aws_named_versions.account_id
        and aws_sources.source_region = aws_named_versions.source_region
        and aws_sources.resource_type = aws_named_versions.resource_type
        and aws_named_versions.last_seen_date = aws_sources.last_ok_snapshot_date
    inner join aws_seen
        on aws_seen.resource_type = aws_named_versions.resource_type
        and aws_seen.account_id = aws_named_versions.account_id
        and aws_seen.region = aws_named_versions.region
        and aws_seen.resource_id = aws_named_versions.resource_id
    where not aws_named_versions.is_deleted
),

k8s_seen as (
    select
        resource_type,
        cluster,
        resource_id,
        min(dump_at)                                                as first_seen_at,
        min(snapshot_date)                                          as first_seen_date,
        max(dump_at)                                                as last_seen_at
    from k8s_objects
    group by all
),

-- the objects of each cluster's latest ok dump; resource_id is "<cluster>/<namespace>/<name>" (or
-- "<cluster>/<name>" for cluster-scoped kinds), unique across clusters sharing an account and region
k8s_current as (
    select
        'kubernetes'                                                as provider,
        k8s_clusters.account_id,
        k8s_clusters.region,
        k8s_clusters.region                                         as source_region,
        k8s_objects.cluster,
        k8s_objects.namespace,
        k8s_objects.resource_type,
        k8s_objects.cluster || '/' || k8s_objects.resource_id       as resource_id,
        null::varchar                                               as arn,
        k8s_objects.name,
        k8s_objects.state,
        k8s_objects.labels                                          as tags,
        k8s_objects.created_at,
        k8s_seen.first_seen_at,
        k8s_seen.first_seen_date,
        k8s_seen.last_seen_at,
        k8s_objects.snapshot_date,
        null::varchar                                               as config_hash,
        k8s_clusters.is_stale,
        k8s_clusters.stale_since,
        k8s_clusters.last_ok_snapshot_date,
        k8s_clusters.last_attempt_status,
        k8s_clusters.last_error_class,
        k8s_clusters.last_error_message,
        null::varchar                                               as manifest_account_name
    from k8s_objects
    inner join k8s_clusters
        on k8s_clusters.cluster = k8s_objects.cluster
        and k8s_objects.dump_at = k8s_clusters.last_ok_dump_at
    inner join k8s_seen
        on k8s_seen.resource_type = k8s_objects.resource_type
        and k8s_seen.cluster = k8s_objects.cluster
        and k8s_seen.resource_id = k8s_objects.resource_id
),

unioned as (
    select * from aws_current
    union all
    select * from k8s_current
),

final as (
    select
        unioned.provider,
        unioned.account_id,
        coalesce(accounts.account_name, unioned.manifest_account_name) as account_name,
        accounts.environment,
        accounts.team,
        unioned.region,
        unioned.source_region,
        unioned.cluster,
        unioned.namespace,
        unioned.resource_type,
        unioned.resource_id,
        unioned.arn,
        unioned.name,
        unioned.state,
        unioned.tags,
        unioned.created_at,
        unioned.first_seen_at,
        unioned.first_seen_date,
        unioned.last_seen_at,
        unioned.snapshot_date,
        unioned.config_hash,
        unioned.is_stale,
        unioned.stale_since,
        unioned.last_ok_snapshot_date,
        case when unioned.is_stale then unioned.last_attempt_status end as last_attempt_status,
        case when unioned.is_stale then unioned.last_error_class end    as last_error_class,
        case when unioned.is_stale then unioned.last_error_message end  as last_error_message
    from unioned
    left join accounts
        on accounts.account_id = unioned.account_id
)

select * from final
