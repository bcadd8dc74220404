-- Kubernetes persistent volume claims: one row per claim per dump.
with source as (
    select * from lake_k8s_persistentvolumeclaim
),

renamed as (
    select
        uid                                                         as persistentvolumeclaim_uid,
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
        phase,  -- Pending, Bound, Lost
        storage_class,
        requested_bytes,
        capacity_bytes,
        volume_name,  -- the persistent volume
        access_modes,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
