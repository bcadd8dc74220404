-- Kubernetes daemon sets: one row per daemon set per dump. Counts are pods (one per eligible node).
with source as (
    select * from lake_k8s_daemonset
),

renamed as (
    select
        uid                                                         as daemonset_uid,
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
        desired                                                     as desired_pods,  -- desiredNumberScheduled
        ready                                                       as ready_pods,
        available                                                   as available_pods,
        updated                                                     as updated_pods,
        misscheduled                                                as misscheduled_pods,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
