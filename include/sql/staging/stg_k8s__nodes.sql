-- Kubernetes nodes: one row per node per dump. On EKS a node is an EC2 instance (ec2_instance_id).
with source as (
    select * from lake_k8s_node
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "spec": {"taints": [{"key": "VARCHAR", "value": "VARCHAR", "effect": "VARCHAR"}]},
            "status": {
                "nodeInfo": {"osImage": "VARCHAR", "containerRuntimeVersion": "VARCHAR", "architecture": "VARCHAR"},
                "conditions": [{
                    "type": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR", "message": "VARCHAR",
                    "lastTransitionTime": "TIMESTAMPTZ"
                }]
            }
        }') as api
    from source
),

renamed as (
    select
        uid                                                         as node_uid,
        resource_id,  -- the node name
        cluster,
        account_id,
        region,
        kind,
        api_version,
        namespace,
        name,
        labels,
        created_at,
        instance_id                                                 as ec2_instance_id,
        provider_id,
        instance_type,
        zone                                                        as availability_zone,
        nodegroup,  -- EKS node group or Karpenter node pool
        capacity_type,  -- ON_DEMAND, SPOT
        internal_ip,
        unschedulable                                               as is_unschedulable,  -- cordoned
        capacity_cpu_cores,
        capacity_memory_bytes,
        capacity_pods,
        allocatable_cpu_cores,
        allocatable_memory_bytes,
        allocatable_pods,
        -- null: Unknown (the kubelet stopped reporting)
        ready                                                       as is_ready,
        disk_pressure                                               as has_disk_pressure,
        memory_pressure                                             as has_memory_pressure,
        pid_pressure                                                as has_pid_pressure,
        kubelet_version,
        api.status.nodeInfo.osImage                                 as os_image,
        api.status.nodeInfo.containerRuntimeVersion                 as container_runtime_version,
        api.status.nodeInfo.architecture                            as architecture,
        list_transform(api.spec.taints, lambda t: {'key': t.key, 'value': t.value, 'effect': t.effect}) as taints,
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
