-- marts.lookup_hops: the next hop from one current resource to another, for following a lookup to what
-- finally answers: a load balancer to its target groups, a target group to its targets (with their health),
-- a classic load balancer to its instances, an Elastic IP to the instance, NAT gateway or interface it is
-- associated with, an interface or a volume to its instance, a pod to its node, a node to its EC2 instance,
-- a persistent volume to its EBS volume, an ingress or LoadBalancer service to its load balancer.
-- The explorer's search walks it from what marts.resource_lookup matched (Route 53 alias -> load balancer ->
-- target groups -> instances) with equality lookups on the from_* columns; rows are sorted by them.
--
-- Current rows only: both ends as in marts.inventory_current (each source's latest ok snapshot, each cluster's
-- latest ok dump; a stale source's rows stay, is_stale). The far end is null when it is not in the inventory
-- (a target that is an IP address, a terminated instance): the hop still says what it names (to_resource_id).
-- Kubernetes ids are inventory_current's (<cluster>/<namespace>/<name>).
-- Data dictionary: docs/data-dictionary/lookup_hops.md.
with current_resources as (
    select * from marts.inventory_current
),

target_groups as (
    select * from staging.stg_aws__elbv2_target_groups
),

classic_load_balancers as (
    select * from staging.stg_aws__classic_load_balancers
),

elastic_ips as (
    select * from staging.stg_aws__elastic_ips
),

nat_gateways as (
    select * from staging.stg_aws__nat_gateways
),

network_interfaces as (
    select * from staging.stg_aws__network_interfaces
),

volumes as (
    select * from staging.stg_aws__ebs_volumes
),

pods as (
    select * from staging.stg_k8s__pods
),

nodes as (
    select * from staging.stg_k8s__nodes
),

persistent_volumes as (
    select * from staging.stg_k8s__persistentvolumes
),

latest_dumps as (
    select * from intermediate.int_k8s__latest_dumps
),

k8s_identifiers as (
    select * from intermediate.int_lookup__k8s_identifiers
),

resolutions as (
    select * from intermediate.int_lookup__resolutions
),

-- the rows of each typed staging model that are current (the version inventory_current shows)
current_target_groups as (
    select typed.*
    from target_groups as typed
    semi join current_resources as c
        on c.resource_type = 'elbv2_target_group' and c.account_id = typed.account_id
       and c.region = typed.region and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

current_classic_load_balancers as (
    select typed.*
    from classic_load_balancers as typed
    semi join current_resources as c
        on c.resource_type = 'classic_load_balancer' and c.account_id = typed.account_id
       and c.region = typed.region and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

current_elastic_ips as (
    select typed.*
    from elastic_ips as typed
    semi join current_resources as c
        on c.resource_type = 'elastic_ip' and c.account_id = typed.account_id
       and c.region = typed.region and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

current_nat_gateways as (
    select typed.*
    from nat_gateways as typed
    semi join current_resources as c
        on c.resource_type = 'nat_gateway' and c.account_id = typed.account_id
       and c.region = typed.region and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

current_network_interfaces as (
    select typed.*
    from network_interfaces as typed
    semi join current_resources as c
        on c.resource_type = 'network_interface' and c.account_id = typed.account_id
       and c.region = typed.region and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

current_volumes as (
    select typed.*
    from volumes as typed
    semi join current_resources as c
        on c.resource_type = 'ebs_volume' and c.account_id = typed.account_id
       and c.region = typed.region and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

current_pods as (
    select pods.*
    from pods
    semi join latest_dumps
        on latest_dumps.cluster = pods.cluster and latest_dumps.dump_at = pods.dump_at
),

current_nodes as (
    select nodes.*
    from nodes
    semi join latest_dumps
        on latest_dumps.cluster = nodes.cluster and latest_dumps.dump_at = nodes.dump_at
),

current_persistent_volumes as (
    select persistent_volumes.*
    from persistent_volumes
    semi join latest_dumps
        on latest_dumps.cluster = persistent_volumes.cluster and latest_dumps.dump_at = persistent_volumes.dump_at
),

-- every hop as (from, how, detail, to): to_* names the far end as the near end knows it
load_balancer_target_groups as (
    select
        'elbv2_load_balancer' as from_resource_type, account_id as from_account_id, region as from_region,
        unnest(load_balancer_arns) as from_resource_id,
        'target_group' as how, cast(null as varchar) as detail,
        'elbv2_target_group' as to_resource_type, account_id as to_account_id, region as to_region,
        resource_id as to_resource_id
    from current_target_groups
),

target_group_targets as (
    select
        'elbv2_target_group', account_id, region, resource_id,
        'target', concat_ws(' ', target.health_state, 'port ' || target.port),
        case
            when target_type = 'instance' then 'ec2_instance'
            when target_type = 'alb' then 'elbv2_load_balancer'
            when target_type = 'lambda' then 'lambda_function'
        end,
        account_id, region,
        case when target_type = 'lambda' then regexp_extract(target.target_id, ':function:([^:]+)', 1)
             else target.target_id end
    from (select *, unnest(targets) as target from current_target_groups)
),

classic_instances as (
    select
        'classic_load_balancer', account_id, region, resource_id,
        'registered_instance', null, 'ec2_instance', account_id, region, unnest(instance_ids)
    from current_classic_load_balancers
),

elastic_ip_associations as (
    select * exclude (preference)
    from (
        select
            'elastic_ip' as from_resource_type, eip.account_id as from_account_id, eip.region as from_region,
            eip.resource_id as from_resource_id, 'association' as how, eip.public_ip as detail,
            'nat_gateway' as to_resource_type, nat.account_id as to_account_id, nat.region as to_region,
            nat.resource_id as to_resource_id, 1 as preference
        from current_elastic_ips as eip
        join current_nat_gateways as nat
            on nat.account_id = eip.account_id and nat.region = eip.region
           and list_contains(nat.allocation_ids, eip.resource_id)
        union all
        select
            'elastic_ip', account_id, region, resource_id, 'association', public_ip,
            case when nullif(instance_id, '') is not null then 'ec2_instance' else 'network_interface' end,
            coalesce(network_interface_owner_id, account_id), region,
            coalesce(nullif(instance_id, ''), nullif(network_interface_id, '')), 2
        from current_elastic_ips
        where coalesce(nullif(instance_id, ''), nullif(network_interface_id, '')) is not null
    ) as candidates
    -- the most specific end: the NAT gateway holding the address, else the instance, else the interface
    qualify rank() over (partition by from_account_id, from_region, from_resource_id order by preference) = 1
),

attachments as (
    select
        'network_interface', account_id, region, resource_id, 'attachment', interface_type,
        'ec2_instance', coalesce(attached_instance_owner_id, account_id), region, attached_instance_id
    from current_network_interfaces
    where attached_instance_id is not null
    union all
    select
        'ebs_volume', account_id, region, resource_id, 'attachment', attachment.device,
        'ec2_instance', account_id, region, attachment.instance_id
    from (select *, unnest(attachments) as attachment from current_volumes)
    where attachment.instance_id is not null
),

kubernetes as (
    select
        'k8s_pod', pods.account_id, pods.region, pods.cluster || '/' || pods.resource_id, 'node', pods.node_name,
        'k8s_node', pods.account_id, pods.region, pods.cluster || '/' || pods.node_name
    from current_pods as pods
    where pods.node_name is not null
    union all
    select
        'k8s_node', account_id, region, cluster || '/' || resource_id, 'ec2_instance', instance_type,
        'ec2_instance', null, null, ec2_instance_id
    from current_nodes
    where ec2_instance_id is not null
    union all
    select
        'k8s_persistentvolume', account_id, region, cluster || '/' || resource_id, 'ebs_volume', storage_class,
        'ebs_volume', account_id, region, ebs_volume_id
    from current_persistent_volumes
    where ebs_volume_id is not null
    union all
    select distinct
        k8s_identifiers.resource_type, k8s_identifiers.account_id, k8s_identifiers.region,
        k8s_identifiers.cluster || '/' || k8s_identifiers.resource_id, 'load_balancer', k8s_identifiers.target,
        resolutions.resource_type, resolutions.account_id, resolutions.region, resolutions.resource_id
    from k8s_identifiers
    join resolutions
        on resolutions.target = k8s_identifiers.target
    where k8s_identifiers.target_kind = 'load_balancer'
),

hops as (
    select * from load_balancer_target_groups
    union all select * from target_group_targets
    union all select * from classic_instances
    union all select * from elastic_ip_associations
    union all select * from attachments
    union all select * from kubernetes
),

-- the far end as the inventory has it now (an instance of a node: by its id, in whichever account holds it)
final as (
    select distinct
        hops.from_resource_type,
        hops.from_account_id,
        hops.from_region,
        hops.from_resource_id,
        hops.how,
        hops.detail,
        hops.to_resource_type,
        coalesce(far.account_id, hops.to_account_id)                    as to_account_id,
        coalesce(far.region, hops.to_region)                            as to_region,
        hops.to_resource_id,
        far.name                                                        as to_name,
        far.state                                                       as to_state,
        far.resource_id is not null                                     as to_is_current,
        coalesce(far.is_stale, false)                                   as to_is_stale
    from hops
    left join current_resources as far
        on far.resource_type = hops.to_resource_type
       and far.resource_id = hops.to_resource_id
       and far.account_id = coalesce(hops.to_account_id, far.account_id)
       and far.region = coalesce(hops.to_region, far.region)
    where nullif(hops.to_resource_id, '') is not null
)

-- sorted by what the search looks up, so a lookup reads only the row groups that hold it
select * from final
order by from_resource_type, from_resource_id, how, to_resource_type, to_resource_id
