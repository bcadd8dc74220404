-- Kubernetes objects of kinds without a table of their own (custom resources, ...): one row per object per
-- dump, with the common columns only; the object itself stays in the lake's raw.
with source as (
    select * from lake_k8s_other
),

renamed as (
    select
        uid                                                         as object_uid,
        resource_id,  -- namespace/name, or name when cluster-scoped
        cluster,
        account_id,
        region,
        kind,
        api_version,
        namespace,
        name,
        labels,
        created_at,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
