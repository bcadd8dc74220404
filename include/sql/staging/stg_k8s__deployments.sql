-- Kubernetes deployments: one row per deployment per dump.
with source as (
    select * from lake_k8s_deployment
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "spec": {"paused": "BOOLEAN"},
            "status": {"conditions": [{
                "type": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR", "message": "VARCHAR",
                "lastTransitionTime": "TIMESTAMPTZ"
            }]}
        }') as api
    from source
),

renamed as (
    select
        uid                                                         as deployment_uid,
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
        coalesce(api.spec.paused, false)                            as is_paused,
        list_transform(api.status.conditions, lambda c: {
            'type': c.type, 'status': c.status, 'reason': c.reason, 'message': c.message,
            'last_transition_at': c.lastTransitionTime
        -- Available, Progressing, ReplicaFailure
        })                                                          as conditions,
        dump_at,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
