-- marts.subnet_utilization: IPv4 address use per subnet and per VPC (column `level`: 'subnet' or 'vpc'),
-- current (each source's latest ok snapshot; a stale source's rows as last seen, marked is_stale).
-- A VPC row sums its subnets' total, reserved, usable, available and used addresses; it also says how
-- many addresses of the VPC's associated IPv4 CIDR blocks no subnet holds yet (unallocated_addresses),
-- which is where a new subnet would go. Arithmetic: intermediate.int_network__subnets.
-- Data dictionary: docs/data-dictionary/subnet_utilization.md.
with subnets as (
    select * from intermediate.int_network__subnets
),

vpcs as (
    select * from staging.stg_aws__vpcs
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

current_vpcs as (
    select
        vpcs.*,
        source_snapshots.account_name,
        source_snapshots.is_stale,
        cast(list_sum(list_transform(vpcs.cidr_blocks,
                 lambda c: cast(1 as bigint) << (32 - cast(split_part(c, '/', 2) as integer)))) as bigint)
                                                                        as cidr_addresses
    from vpcs
    join source_snapshots
        on source_snapshots.resource_type = 'vpc'
       and source_snapshots.account_id = vpcs.account_id
       and source_snapshots.source_region = vpcs.region
       and vpcs.snapshot_date = source_snapshots.last_ok_snapshot_date
),

subnet_level as (
    select
        'subnet'                                                        as level,
        account_id,
        account_name,
        region,
        vpc_id,
        vpc_name,
        subnet_id,
        subnet_name,
        availability_zone,
        cidr_block,
        [cidr_block]                                                    as cidr_blocks,
        prefix_length,
        cast(1 as bigint)                                               as subnet_count,
        total_addresses,
        reserved_addresses,
        usable_addresses,
        available_addresses,
        used_addresses,
        cast(null as bigint)                                            as cidr_addresses,
        cast(null as bigint)                                            as unallocated_addresses,
        snapshot_date,
        is_stale
    from subnets
),

subnet_sums as (
    select
        account_id,
        region,
        vpc_id,
        count(*)                                                        as subnet_count,
        sum(total_addresses)                                            as total_addresses,
        sum(reserved_addresses)                                         as reserved_addresses,
        sum(usable_addresses)                                           as usable_addresses,
        sum(available_addresses)                                        as available_addresses,
        sum(used_addresses)                                             as used_addresses
    from subnets
    group by all
),

vpc_level as (
    select
        'vpc'                                                           as level,
        current_vpcs.account_id,
        current_vpcs.account_name,
        current_vpcs.region,
        current_vpcs.vpc_id,
        current_vpcs.name                                               as vpc_name,
        cast(null as varchar)                                           as subnet_id,
        cast(null as varchar)                                           as subnet_name,
        cast(null as varchar)                                           as availability_zone,
        current_vpcs.cidr_block,
        current_vpcs.cidr_blocks,
        cast(split_part(current_vpcs.cidr_block, '/', 2) as integer)    as prefix_length,
        coalesce(subnet_sums.subnet_count, 0)                           as subnet_count,
        cast(coalesce(subnet_sums.total_addresses, 0) as bigint)        as total_addresses,
        cast(coalesce(subnet_sums.reserved_addresses, 0) as bigint)     as reserved_addresses,
        cast(coalesce(subnet_sums.usable_addresses, 0) as bigint)       as usable_addresses,
        cast(coalesce(subnet_sums.available_addresses, 0) as bigint)    as available_addresses,
        cast(coalesce(subnet_sums.used_addresses, 0) as bigint)         as used_addresses,
        current_vpcs.cidr_addresses,
        current_vpcs.cidr_addresses - cast(coalesce(subnet_sums.total_addresses, 0) as bigint)
                                                                        as unallocated_addresses,
        current_vpcs.snapshot_date,
        current_vpcs.is_stale
    from current_vpcs
    left join subnet_sums
        on subnet_sums.account_id = current_vpcs.account_id
       and subnet_sums.region = current_vpcs.region
       and subnet_sums.vpc_id = current_vpcs.vpc_id
),

unioned as (
    select * from subnet_level
    union all by name
    select * from vpc_level
),

final as (
    select
        level,
        account_id,
        account_name,
        region,
        vpc_id,
        vpc_name,
        subnet_id,
        subnet_name,
        availability_zone,
        cidr_block,
        cidr_blocks,
        prefix_length,
        subnet_count,
        total_addresses,
        reserved_addresses,
        usable_addresses,
        available_addresses,
        used_addresses,
        cast(round(100.0 * used_addresses / nullif(usable_addresses, 0), 2) as decimal(5, 2))
                                                                        as percent_used,
        cidr_addresses,
        unallocated_addresses,
        snapshot_date,
        is_stale
    from unioned
)

select * from final
