-- Kubernetes persistent volumes: one row per volume per dump. On EKS most are EBS volumes (ebs_volume_id).
with source as (
    select * from lake_k8s_persistentvolume
),

renamed as (
    select
        uid                                                         as persistentvolume_uid,
        resource_id,  -- the volume name
        cluster,
        account_id,
        region,
        kind,
        api_version,
        namespace,
        name,
        labels,
        created_at,
        ebs_volume_id,
        csi_driver,
        capacity_bytes,
        phase,  -- Available, Bound, Released, Failed
        storage_class,
        reclaim_policy,  -- Retain, Delete
        claim_namespace,
        claim_name,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
