-- Every identifier a person might paste for a Kubernetes object in its cluster's latest ok dump (a stale
-- cluster's objects as last dumped, marked is_stale): one row per (identifier, identifier_kind, object).
-- identifier is normalised like intermediate.int_lookup__aws_identifiers (lower case, no trailing dot).
--   pod_ip               a pod's IP. Pods on the host network (pod IP = node IP: aws-node, kube-proxy, …)
--                        are left out: that address is the node's, listed as node_ip
--   node_name, node_ip   a node's name (ip-10-0-1-5.ec2.internal) and internal IP
--   service_lb_hostname, service_lb_ip   a LoadBalancer Service's load balancer
--   ingress_host         a host an Ingress serves
--   ingress_lb_hostname  the load balancer an Ingress is behind
-- target: the load balancer hostname behind a service or ingress row (target_kind 'load_balancer'), the
-- EC2 instance id of a node (target_kind 'ec2_instance'); marts.resource_lookup resolves them to the AWS
-- resource (intermediate.int_lookup__resolutions).
with latest_dumps as (
    select * from intermediate.int_k8s__latest_dumps
),

pods as (select * from staging.stg_k8s__pods),
nodes as (select * from staging.stg_k8s__nodes),
services as (select * from staging.stg_k8s__services),
ingresses as (select * from staging.stg_k8s__ingresses),

objects as (
    select cluster, dump_at, 'k8s_pod' as resource_type, kind, namespace, name, resource_id,
           pod_ip as raw_identifier, 'pod_ip' as identifier_kind,
           cast(null as varchar) as target_kind, cast(null as varchar) as raw_target
    from pods
    where pod_ip is not null and pod_ip is distinct from host_ip
    union all
    select cluster, dump_at, 'k8s_node', kind, namespace, name, resource_id, name, 'node_name',
           'ec2_instance', ec2_instance_id
    from nodes
    union all
    select cluster, dump_at, 'k8s_node', kind, namespace, name, resource_id, internal_ip, 'node_ip',
           'ec2_instance', ec2_instance_id
    from nodes
    union all
    select cluster, dump_at, 'k8s_service', kind, namespace, name, resource_id,
           load_balancer_hostname, 'service_lb_hostname', 'load_balancer', load_balancer_hostname
    from services
    union all
    select cluster, dump_at, 'k8s_service', kind, namespace, name, resource_id,
           load_balancer_ip, 'service_lb_ip', null, null
    from services
    union all
    select cluster, dump_at, 'k8s_ingress', kind, namespace, name, resource_id,
           unnest(hosts), 'ingress_host', 'load_balancer', load_balancer_hostname
    from ingresses
    union all
    select cluster, dump_at, 'k8s_ingress', kind, namespace, name, resource_id,
           load_balancer_hostname, 'ingress_lb_hostname', 'load_balancer', load_balancer_hostname
    from ingresses
),

final as (
    select distinct
        regexp_replace(lower(trim(objects.raw_identifier)), '(.)\.$', '\1') as identifier,
        objects.identifier_kind,
        objects.resource_type,
        objects.resource_id,
        objects.name                                                    as resource_name,
        objects.kind,
        objects.namespace,
        objects.cluster,
        latest_dumps.account_id,
        latest_dumps.region,
        case when objects.raw_target is not null then objects.target_kind end as target_kind,
        regexp_replace(regexp_replace(lower(trim(objects.raw_target)), '\.$', ''), '^dualstack\.', '')
                                                                        as target,
        latest_dumps.dump_key,
        latest_dumps.snapshot_date,
        latest_dumps.dump_at,
        latest_dumps.is_stale
    from objects
    join latest_dumps
        on latest_dumps.cluster = objects.cluster
       and latest_dumps.dump_at = objects.dump_at
    where nullif(trim(objects.raw_identifier), '') is not null
)

select * from final
