-- What rightsizing judges, one row per running EC2 instance, available RDS DB instance and EKS managed node
-- group as of the latest ok snapshot of its source, with its size, its price key's parts and its peaks
-- (intermediate.int_rightsizing__usage) in one shape:
--   current_type = type_prefix || catalog_type (db.r6g.large = 'db.' || r6g.large, the EC2 type whose
--   vCPUs and memory int_rightsizing__instance_types holds); a price key is
--   price_service || ':' || type_prefix || <type> || ':' || price_variant.
-- Left out, so nothing is counted twice or judged twice:
--   - instances and DB instances already in intermediate.int_waste__findings as idle_instance,
--     stopped_instance or idle_rds_instance (the whole cost is already a saving there);
--   - EC2 instances that are nodes of an EKS node group (intermediate.int_inventory__eks_nodegroup_instances):
--     the node group is sized, not its nodes one by one; a node group with a node in waste is left out too.
-- A node group's peaks are its nodes' highest; its days are its least-measured node's (every node must be
-- under the thresholds, on enough days).
with ec2_instances as (
    select * from intermediate.int_pricing__ec2_instances  -- with its price key's parts (price_variant)
),

db_instances as (
    select * from intermediate.int_pricing__rds_instances  -- with its price key's parts (price_variant)
),

nodegroups as (
    select * from staging.stg_aws__eks_nodegroups
),

nodegroup_instances as (
    select * from intermediate.int_inventory__eks_nodegroup_instances
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

usage as (
    select * from intermediate.int_rightsizing__usage
),

instance_types as (
    select * from intermediate.int_rightsizing__instance_types
),

waste as (
    select * from intermediate.int_waste__findings
),

in_waste as (
    select distinct account_id, region, resource_id
    from waste
    where category in ('idle_instance', 'stopped_instance', 'idle_rds_instance')
),

current_instances as (
    select
        ec2_instances.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date,
        in_waste.resource_id is not null                            as is_in_waste,
        usage.max_cpu_percent,
        coalesce(usage.cpu_days, 0)                                 as cpu_days,
        usage.max_memory_percent,
        coalesce(usage.memory_days, 0)                              as memory_days,
        coalesce(usage.metrics_are_stale, false)                    as metrics_are_stale
    from ec2_instances
    inner join source_snapshots
        on source_snapshots.resource_type = 'ec2_instance'
       and source_snapshots.account_id = ec2_instances.account_id
       and source_snapshots.source_region = ec2_instances.region
       and ec2_instances.snapshot_date = source_snapshots.last_ok_snapshot_date
    left join in_waste
        on in_waste.account_id = ec2_instances.account_id
       and in_waste.region = ec2_instances.region
       and in_waste.resource_id = ec2_instances.instance_id
    left join usage
        on usage.metric_source = 'ec2_instance_metric'
       and usage.account_id = ec2_instances.account_id
       and usage.region = ec2_instances.region
       and usage.resource_id = ec2_instances.instance_id
    where ec2_instances.state = 'running'
),

standalone_instances as (
    select
        current_instances.resource_type,
        current_instances.account_id,
        current_instances.region,
        current_instances.instance_id                               as resource_id,
        current_instances.name                                      as resource_name,
        current_instances.arn                                       as resource_arn,
        current_instances.tags['team']                              as team_tag,
        ''                                                          as type_prefix,
        current_instances.instance_type                             as catalog_type,
        'ec2'                                                       as price_service,
        current_instances.price_variant,
        1                                                           as node_count,
        cast([] as varchar[])                                       as node_ids,
        current_instances.max_cpu_percent,
        current_instances.cpu_days,
        current_instances.max_memory_percent,
        current_instances.memory_days,
        'CWAgent mem_used_percent'                                  as memory_metric,
        current_instances.is_stale or current_instances.metrics_are_stale as is_stale,
        current_instances.snapshot_date                             as observed_on,
        current_instances.as_of_date
    from current_instances
    anti join nodegroup_instances
        on nodegroup_instances.account_id = current_instances.account_id
       and nodegroup_instances.region = current_instances.region
       and nodegroup_instances.instance_id = current_instances.instance_id
    where not current_instances.is_in_waste
),

current_db_instances as (
    select
        db_instances.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from db_instances
    inner join source_snapshots
        on source_snapshots.resource_type = 'rds_instance'
       and source_snapshots.account_id = db_instances.account_id
       and source_snapshots.source_region = db_instances.region
       and db_instances.snapshot_date = source_snapshots.last_ok_snapshot_date
    where db_instances.state = 'available'
),

rds_instances as (
    select
        current_db_instances.resource_type,
        current_db_instances.account_id,
        current_db_instances.region,
        current_db_instances.db_instance_id                         as resource_id,
        current_db_instances.name                                   as resource_name,
        current_db_instances.arn                                    as resource_arn,
        current_db_instances.tags['team']                           as team_tag,
        'db.'                                                       as type_prefix,
        current_db_instances.instance_class[4:]                     as catalog_type,
        'rds'                                                       as price_service,
        current_db_instances.price_variant,
        1                                                           as node_count,
        cast([] as varchar[])                                       as node_ids,
        usage.max_cpu_percent,
        coalesce(usage.cpu_days, 0)                                 as cpu_days,
        -- the peak: the class's memory less the day's lowest freeable memory (null: the class's memory is not
        -- in the region's catalog)
        100 * (1 - usage.min_freeable_bytes / (instance_types.memory_mib * 1048576.0))
                                                                    as max_memory_percent,
        coalesce(usage.memory_days, 0)                              as memory_days,
        'AWS/RDS FreeableMemory'                                    as memory_metric,
        current_db_instances.is_stale or coalesce(usage.metrics_are_stale, false) as is_stale,
        current_db_instances.snapshot_date                          as observed_on,
        current_db_instances.as_of_date
    from current_db_instances
    left join usage
        on usage.metric_source = 'rds_instance_metric'
       and usage.account_id = current_db_instances.account_id
       and usage.region = current_db_instances.region
       and usage.resource_id = current_db_instances.db_instance_id
    left join instance_types
        on instance_types.region = current_db_instances.region
       and current_db_instances.instance_class like 'db.%'
       and instance_types.instance_type = current_db_instances.instance_class[4:]
    anti join in_waste
        on in_waste.account_id = current_db_instances.account_id
       and in_waste.region = current_db_instances.region
       and in_waste.resource_id = current_db_instances.db_instance_id
),

current_nodegroups as (
    select
        nodegroups.*,
        source_snapshots.is_stale,
        source_snapshots.latest_run_date                            as as_of_date
    from nodegroups
    inner join source_snapshots
        on source_snapshots.resource_type = 'eks_nodegroup'
       and source_snapshots.account_id = nodegroups.account_id
       and source_snapshots.source_region = nodegroups.region
       and nodegroups.snapshot_date = source_snapshots.last_ok_snapshot_date
),

nodes as (
    select
        nodegroup_instances.account_id,
        nodegroup_instances.region,
        nodegroup_instances.cluster_name,
        nodegroup_instances.nodegroup_name,
        count(*)                                                    as node_count,
        list(nodegroup_instances.instance_id order by nodegroup_instances.instance_id) as node_ids,
        list(distinct current_instances.instance_type)              as node_types,
        min(current_instances.price_variant)                        as price_variant,
        coalesce(bool_or(current_instances.is_in_waste), false)     as has_node_in_waste,
        max(current_instances.max_cpu_percent)                      as max_cpu_percent,
        min(coalesce(current_instances.cpu_days, 0))                as cpu_days,
        max(current_instances.max_memory_percent)                   as max_memory_percent,
        min(coalesce(current_instances.memory_days, 0))             as memory_days,
        bool_or(current_instances.is_stale or current_instances.metrics_are_stale or nodegroup_instances.is_link_stale)
                                                                    as nodes_are_stale
    from nodegroup_instances
    -- a node that is not a current running instance has no usage: the node group is not judged on part of it
    left join current_instances
        on current_instances.account_id = nodegroup_instances.account_id
       and current_instances.region = nodegroup_instances.region
       and current_instances.instance_id = nodegroup_instances.instance_id
    group by all
),

eks_nodegroups as (
    select
        current_nodegroups.resource_type,
        current_nodegroups.account_id,
        current_nodegroups.region,
        current_nodegroups.nodegroup_id                             as resource_id,
        current_nodegroups.name                                     as resource_name,
        current_nodegroups.arn                                      as resource_arn,
        current_nodegroups.tags['team']                             as team_tag,
        ''                                                          as type_prefix,
        -- one instance type: the node group's, or (set by a launch template) its nodes' single type
        case
            when len(current_nodegroups.instance_types) = 1 then current_nodegroups.instance_types[1]
            when len(nodes.node_types) = 1 then nodes.node_types[1]
        end                                                         as catalog_type,
        'ec2'                                                       as price_service,
        nodes.price_variant,  -- its nodes' (spot capacity: their instance lifecycle says spot)
        nodes.node_count,
        nodes.node_ids,
        nodes.max_cpu_percent,
        coalesce(nodes.cpu_days, 0)                                 as cpu_days,
        nodes.max_memory_percent,
        coalesce(nodes.memory_days, 0)                              as memory_days,
        'CWAgent mem_used_percent'                                  as memory_metric,
        current_nodegroups.is_stale or nodes.nodes_are_stale        as is_stale,
        current_nodegroups.snapshot_date                            as observed_on,
        current_nodegroups.as_of_date
    from current_nodegroups
    inner join nodes
        on nodes.account_id = current_nodegroups.account_id
       and nodes.region = current_nodegroups.region
       and nodes.cluster_name = current_nodegroups.cluster_name
       and nodes.nodegroup_name = current_nodegroups.nodegroup_name
    where not nodes.has_node_in_waste
),

final as (
    select * from standalone_instances
    union all by name
    select * from rds_instances
    union all by name
    select * from eks_nodegroups
)

select * from final
