-- Kubernetes namespaces: one row per namespace per dump.
with source as (
    select * from lake_k8s_namespace
),

renamed as (
    select
        uid                                                         as namespace_uid,
        resource_id,  -- the namespace name
        cluster,
        account_id,
        region,
        kind,
        api_version,
        namespace,  -- null: namespaces are cluster-scoped (the name is `name`)
        name,
        labels,
        created_at,
        phase,  -- Active, Terminating
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
