-- Kubernetes events: one row per event object per dump (an event repeats in every dump until it expires,
-- usually after an hour; `event_count` and `last_seen_at` grow as it recurs).
with source as (
    select * from lake_k8s_event
),

renamed as (
    select
        uid                                                         as event_uid,
        resource_id,  -- namespace/name
        cluster,
        account_id,
        region,
        kind,
        api_version,
        namespace,
        name,
        labels,
        created_at,
        type                                                        as event_type,  -- Normal, Warning
        reason,  -- BackOff, Evicted, FailedScheduling, ...
        message,
        count                                                       as event_count,
        involved_kind,
        involved_namespace,
        involved_name,
        source_component,
        first_seen_at,
        last_seen_at,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
