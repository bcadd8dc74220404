-- materialized: table
-- The instance types each region offers of the families in use (ec2:DescribeInstanceTypes lists every size of
-- the families of an account's instances and DB classes: aws/instance_types.py), from the latest ok snapshot of
-- every account's catalog in that region, merged (a type any account sees is offered), one row per (region, type),
-- with the next smaller size: the largest type of the same family with less memory that the region offers
-- (bare-metal sizes left out; equal memory: more vCPUs first). Null: already the family's smallest size.
-- RDS DB classes are read as the EC2 type of the same name without "db." (db.r6g.large -> r6g.large): RDS
-- publishes no class catalog with memory, and its classes are those EC2 instances.
with instance_types as (
    select * from staging.stg_aws__ec2_instance_types
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

offered as (
    select
        instance_types.region,
        instance_types.instance_type,
        any_value(instance_types.family)                            as family,
        any_value(instance_types.size)                              as size,
        max(instance_types.vcpus)                                   as vcpus,
        max(instance_types.memory_mib)                              as memory_mib,
        bool_or(instance_types.is_bare_metal)                       as is_bare_metal,
        max(instance_types.snapshot_date)                           as catalog_date
    from instance_types
    inner join source_snapshots
        on source_snapshots.resource_type = 'ec2_instance_type'
       and source_snapshots.account_id = instance_types.account_id
       and source_snapshots.source_region = instance_types.region
       and instance_types.snapshot_date = source_snapshots.last_ok_snapshot_date
    group by instance_types.region, instance_types.instance_type
),

smaller as (
    select
        larger.region,
        larger.instance_type,
        candidate.instance_type                                     as next_smaller_type,
        candidate.vcpus                                             as next_smaller_vcpus,
        candidate.memory_mib                                        as next_smaller_memory_mib,
        row_number() over (
            partition by larger.region, larger.instance_type
            order by candidate.memory_mib desc, candidate.vcpus desc, candidate.instance_type
        )                                                           as rank
    from offered as larger
    inner join offered as candidate
        on candidate.region = larger.region
       and candidate.family = larger.family
       and candidate.memory_mib < larger.memory_mib
       and not coalesce(candidate.is_bare_metal, false)
),

final as (
    select
        offered.*,
        smaller.next_smaller_type,
        smaller.next_smaller_vcpus,
        smaller.next_smaller_memory_mib
    from offered
    left join smaller
        on smaller.region = offered.region
       and smaller.instance_type = offered.instance_type
       and smaller.rank = 1
)

select * from final
