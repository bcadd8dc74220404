-- Kubernetes ingresses: one row per ingress per dump.
with source as (
    select * from lake_k8s_ingress
),

renamed as (
    select
        uid                                                         as ingress_uid,
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
        ingress_class,
        hosts,  -- the DNS names it serves
        paths,
        backends,  -- service:port
        load_balancer_hostname,  -- the ALB's DNS name on EKS
        load_balancer_ip,
        dump_at,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
