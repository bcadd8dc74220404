-- One row per subnet in its source's latest ok snapshot (current, or as last seen when the source is
-- stale): the subnet's IPv4 address arithmetic, exact integers.
--   total_addresses     2^(32 - prefix length) of the subnet's CIDR block
--   reserved_addresses  5: AWS keeps the network address, the VPC router, DNS, one for future use and
--                       the broadcast address of every subnet
--   usable_addresses    total - reserved
--   available_addresses AvailableIpAddressCount (what EC2 says is still free)
--   used_addresses      usable - available (ENIs, i.e. instances, load balancer nodes, endpoints, ...)
with subnets as (
    select * from staging.stg_aws__subnets
),

vpcs as (
    select * from staging.stg_aws__vpcs
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

current_subnets as (
    select
        subnets.*,
        source_snapshots.account_name,
        source_snapshots.is_stale
    from subnets
    join source_snapshots
        on source_snapshots.resource_type = 'subnet'
       and source_snapshots.account_id = subnets.account_id
       and source_snapshots.source_region = subnets.region
       and subnets.snapshot_date = source_snapshots.last_ok_snapshot_date
),

current_vpcs as (
    select vpcs.*
    from vpcs
    join source_snapshots
        on source_snapshots.resource_type = 'vpc'
       and source_snapshots.account_id = vpcs.account_id
       and source_snapshots.source_region = vpcs.region
       and vpcs.snapshot_date = source_snapshots.last_ok_snapshot_date
),

arithmetic as (
    select
        *,
        cast(split_part(cidr_block, '/', 2) as integer)                 as prefix_length,
        cast(1 as bigint) << (32 - cast(split_part(cidr_block, '/', 2) as integer)) as total_addresses,
        cast(5 as bigint)                                               as reserved_addresses
    from current_subnets
),

final as (
    select
        arithmetic.account_id,
        arithmetic.account_name,
        arithmetic.region,
        arithmetic.vpc_id,
        current_vpcs.name                                               as vpc_name,
        arithmetic.subnet_id,
        arithmetic.name                                                 as subnet_name,
        arithmetic.availability_zone,
        arithmetic.cidr_block,
        arithmetic.prefix_length,
        arithmetic.total_addresses,
        arithmetic.reserved_addresses,
        arithmetic.total_addresses - arithmetic.reserved_addresses      as usable_addresses,
        cast(arithmetic.available_ip_count as bigint)                   as available_addresses,
        arithmetic.total_addresses - arithmetic.reserved_addresses
            - arithmetic.available_ip_count                             as used_addresses,
        arithmetic.snapshot_date,
        arithmetic.snapshot_at,
        arithmetic.is_stale
    from arithmetic
    left join current_vpcs
        on current_vpcs.account_id = arithmetic.account_id
       and current_vpcs.region = arithmetic.region
       and current_vpcs.vpc_id = arithmetic.vpc_id
)

select * from final
