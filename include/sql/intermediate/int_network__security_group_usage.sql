-- One row per security group that a current network interface or EC2 instance uses (each source's latest
-- ok snapshot): how many interfaces and instances carry it. Instances count unless terminated; running
-- instances are also counted apart. Security group ids are unique across accounts and regions, so the
-- count is by (region, group id): an interface of a shared VPC in another account counts too.
with network_interfaces as (
    select * from staging.stg_aws__network_interfaces
),

instances as (
    select * from staging.stg_aws__ec2_instances
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

current_interfaces as (
    select network_interfaces.*
    from network_interfaces
    join source_snapshots
        on source_snapshots.resource_type = 'network_interface'
       and source_snapshots.account_id = network_interfaces.account_id
       and source_snapshots.source_region = network_interfaces.region
       and network_interfaces.snapshot_date = source_snapshots.last_ok_snapshot_date
),

current_instances as (
    select instances.*
    from instances
    join source_snapshots
        on source_snapshots.resource_type = 'ec2_instance'
       and source_snapshots.account_id = instances.account_id
       and source_snapshots.source_region = instances.region
       and instances.snapshot_date = source_snapshots.last_ok_snapshot_date
    where instances.state <> 'terminated'
),

interface_groups as (
    select region, unnest(security_group_ids) as security_group_id, network_interface_id
    from current_interfaces
),

instance_groups as (
    select region, unnest(security_group_ids) as security_group_id, instance_id, state
    from current_instances
),

interface_counts as (
    select region, security_group_id, count(distinct network_interface_id) as network_interface_count
    from interface_groups
    group by all
),

instance_counts as (
    select
        region,
        security_group_id,
        count(distinct instance_id)                                     as instance_count,
        count(distinct instance_id) filter (where state = 'running')    as running_instance_count
    from instance_groups
    group by all
),

final as (
    select
        region,
        security_group_id,
        coalesce(interface_counts.network_interface_count, 0)           as network_interface_count,
        coalesce(instance_counts.instance_count, 0)                     as instance_count,
        coalesce(instance_counts.running_instance_count, 0)             as running_instance_count
    from interface_counts
    full join instance_counts using (region, security_group_id)
)

select * from final
