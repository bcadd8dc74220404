-- Kubernetes stateful sets: one row per stateful set per dump.
with source as (
    select * from lake_k8s_statefulset
),

renamed as (
    select
        uid                                                         as statefulset_uid,
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
        desired                                                     as desired_replicas,
        ready                                                       as ready_replicas,
        available                                                   as available_replicas,
        updated                                                     as updated_replicas,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
