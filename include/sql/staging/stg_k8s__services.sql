-- Kubernetes services: one row per service per dump.
with source as (
    select * from lake_k8s_service
),

renamed as (
    select
        uid                                                         as service_uid,
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
        -- ClusterIP, NodePort, LoadBalancer, ExternalName
        type                                                        as service_type,
        cluster_ip,
        external_name,
        load_balancer_hostname,  -- an ELB's DNS name for type LoadBalancer on EKS
        load_balancer_ip,
        ports,  -- kubectl's PORT(S): 80:31380/TCP
        selector,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
