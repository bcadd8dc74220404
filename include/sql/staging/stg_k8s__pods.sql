-- Kubernetes pods: one row per pod per dump (a cluster dumps every few minutes, so a day holds several).
-- The lake already types what the parser computes (waiting reason, restarts, requests); the conditions and
-- images are read from `raw` here (json_transform: parsed once, null where absent).
with source as (
    select * from lake_k8s_pod
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "metadata": {"deletionTimestamp": "TIMESTAMPTZ"},
            "spec": {"serviceAccountName": "VARCHAR", "containers": [{"image": "VARCHAR"}]},
            "status": {"conditions": [{
                "type": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR", "message": "VARCHAR",
                "lastTransitionTime": "TIMESTAMPTZ"
            }]}
        }') as api
    from source
),

renamed as (
    select
        uid                                                         as pod_uid,
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
        phase,  -- Pending, Running, Succeeded, Failed, Unknown
        reason                                                      as status_reason,  -- Evicted, NodeLost, ...
        message                                                     as status_message,
        node_name,
        pod_ip,
        host_ip,
        qos_class,
        owner_kind,
        owner_name,
        ready_containers,
        total_containers,
        restart_count,
        waiting_reason,  -- CrashLoopBackOff, ImagePullBackOff, ...
        last_termination_reason,  -- OOMKilled, Error, ...
        cpu_request_cores,
        cpu_limit_cores,
        memory_request_bytes,
        memory_limit_bytes,
        started_at,
        api.metadata.deletionTimestamp                              as deletion_requested_at,  -- set while terminating
        api.spec.serviceAccountName                                 as service_account,
        list_transform(api.spec.containers, lambda c: c.image)      as container_images,
        list_transform(api.status.conditions, lambda c: {
            'type': c.type, 'status': c.status, 'reason': c.reason, 'message': c.message,
            'last_transition_at': c.lastTransitionTime
        })                                                          as conditions,
        dump_at,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
