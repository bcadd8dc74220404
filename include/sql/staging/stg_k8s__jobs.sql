-- Kubernetes jobs: one row per job per dump.
with source as (
    select * from lake_k8s_job
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "spec": {"backoffLimit": "INTEGER", "suspend": "BOOLEAN"},
            "status": {"conditions": [{
                "type": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR", "message": "VARCHAR",
                "lastTransitionTime": "TIMESTAMPTZ"
            }]}
        }') as api
    from source
),

renamed as (
    select
        uid                                                         as job_uid,
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
        completions,
        active                                                      as active_pods,
        succeeded                                                   as succeeded_pods,
        failed                                                      as failed_pods,
        started_at,
        completed_at,
        owner_kind,
        owner_name,  -- the cron job, for scheduled jobs
        api.spec.backoffLimit                                       as backoff_limit,
        coalesce(api.spec.suspend, false)                           as is_suspended,
        list_transform(api.status.conditions, lambda c: {
            'type': c.type, 'status': c.status, 'reason': c.reason, 'message': c.message,
            'last_transition_at': c.lastTransitionTime
        -- Complete, Failed (BackoffLimitExceeded, ...)
        })                                                          as conditions,
        dump_at,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
