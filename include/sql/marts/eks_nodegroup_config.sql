-- marts.eks_nodegroup_config: one row per EKS managed node group as of the latest ok snapshot of its source
-- (stale ones kept, marked), with its configuration and the CPU of the EC2 instances that are its nodes over
-- the last 14 days, where those instances can be linked (intermediate.int_inventory__eks_nodegroup_instances:
-- the nodes of the cluster's latest Kubernetes dump, or EKS's eks:nodegroup-name tag on the instances).
-- When none can be linked the CPU columns are null and cpu_note says why.
-- Documented in docs/data-dictionary/eks_nodegroup_config.md.
with nodegroups as (
    select * from staging.stg_aws__eks_nodegroups
),

sources as (
    select * from intermediate.int_inventory__aws_sources
),

links as (
    select * from intermediate.int_inventory__eks_nodegroup_instances
),

cpu as (
    select * from intermediate.int_inventory__ec2_cpu_14d
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

current_nodegroups as (
    select
        nodegroups.*,
        sources.is_stale,
        sources.stale_since,
        sources.last_ok_snapshot_date,
        sources.last_error_message
    from nodegroups
    inner join sources
        on sources.resource_type = 'eks_nodegroup'
        and sources.account_id = nodegroups.account_id
        and sources.source_region = nodegroups.region
        and nodegroups.snapshot_date = sources.last_ok_snapshot_date
),

nodegroup_cpu as (
    select
        links.account_id,
        links.region,
        links.cluster_name,
        links.nodegroup_name,
        list_sort(list(links.instance_id))                          as instance_ids,
        list_sort(list(distinct link_method))                       as linked_by,
        count(cpu.instance_id)                                      as instances_with_cpu,
        bool_or(links.is_link_stale)                                as has_stale_links,
        -- the mean over instances of each one's 14-day mean (every instance weighs the same)
        avg(cpu.avg_cpu_percent)                                    as avg_cpu_percent,
        max(cpu.max_daily_avg_cpu_percent)                          as max_daily_avg_cpu_percent,
        max(cpu.max_cpu_percent)                                    as max_cpu_percent,
        min(cpu.first_metric_date)                                  as cpu_from_date,
        max(cpu.last_metric_date)                                   as cpu_to_date
    from links
    cross join unnest(links.linked_by) as methods(link_method)
    left join cpu
        on cpu.account_id = links.account_id
        and cpu.region = links.region
        and cpu.instance_id = links.instance_id
    group by links.account_id, links.region, links.cluster_name, links.nodegroup_name
),

final as (
    select
        current_nodegroups.account_id,
        accounts.account_name,
        accounts.environment,
        accounts.team,
        current_nodegroups.region,
        current_nodegroups.cluster_name,
        current_nodegroups.nodegroup_name,
        current_nodegroups.resource_id,
        current_nodegroups.arn,
        current_nodegroups.state                                    as status,
        current_nodegroups.capacity_type,
        current_nodegroups.instance_types,
        current_nodegroups.min_size,
        current_nodegroups.max_size,
        current_nodegroups.desired_size,
        current_nodegroups.ami_type,
        current_nodegroups.kubernetes_version,
        current_nodegroups.release_version,
        current_nodegroups.disk_size_gib,
        current_nodegroups.subnet_ids,
        current_nodegroups.auto_scaling_group_names,
        current_nodegroups.tags,
        current_nodegroups.created_at,
        current_nodegroups.snapshot_date,
        current_nodegroups.is_stale,
        current_nodegroups.stale_since,
        current_nodegroups.last_ok_snapshot_date,
        case when current_nodegroups.is_stale then current_nodegroups.last_error_message end
                                                                    as last_error_message,
        coalesce(len(nodegroup_cpu.instance_ids), 0)                as linked_instance_count,
        nodegroup_cpu.instance_ids                                  as linked_instance_ids,
        nodegroup_cpu.linked_by,
        nodegroup_cpu.avg_cpu_percent,
        nodegroup_cpu.max_daily_avg_cpu_percent,
        nodegroup_cpu.max_cpu_percent,
        nodegroup_cpu.cpu_from_date,
        nodegroup_cpu.cpu_to_date,
        case
            when nodegroup_cpu.instance_ids is null then
                'no instance linked: no node of the cluster''s latest Kubernetes dump is in this node group '
                || 'and no current EC2 instance has its eks:nodegroup-name tag'
            when nodegroup_cpu.instances_with_cpu = 0 then
                'linked instances have no CPU statistics in the latest ok metrics snapshot'
            when nodegroup_cpu.instances_with_cpu < len(nodegroup_cpu.instance_ids) then
                'CPU of ' || nodegroup_cpu.instances_with_cpu || ' of ' || len(nodegroup_cpu.instance_ids)
                || ' linked instances (the others have no statistics)'
            when nodegroup_cpu.has_stale_links then
                'instances linked through a stale source (the cluster''s latest dump or the EC2 snapshot is '
                || 'stale): the node group''s members may have changed since'
        end                                                         as cpu_note
    from current_nodegroups
    left join nodegroup_cpu
        on nodegroup_cpu.account_id = current_nodegroups.account_id
        and nodegroup_cpu.region = current_nodegroups.region
        and nodegroup_cpu.cluster_name = current_nodegroups.cluster_name
        and nodegroup_cpu.nodegroup_name = current_nodegroups.nodegroup_name
    left join accounts
        on accounts.account_id = current_nodegroups.account_id
)

select * from final
