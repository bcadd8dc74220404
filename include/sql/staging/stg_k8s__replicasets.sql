-- Kubernetes replica sets: one row per replica set per dump.
with source as (
    select * from lake_k8s_replicaset
),

renamed as (
    select
        uid                                                         as replicaset_uid,
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
        -- the lake's `updated` of a replica set
        updated                                                     as fully_labeled_replicas,
        owner_kind,
        owner_name,  -- the deployment
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
