-- One row per source of each inbound rule of every current security group (each source's latest ok
-- snapshot; a stale source's groups as last seen, marked is_stale). A rule ("tcp 443") with two CIDRs and
-- a source group is three rows. source_type: ipv4_cidr, ipv6_cidr, prefix_list, security_group.
-- protocol: 'all' for AWS's -1, names for the usual numbers (6 tcp, 17 udp, 1 icmp, 58 icmpv6), else as
-- given; from_port/to_port are null for all protocols (ICMP: type and code).
with security_groups as (
    select * from staging.stg_aws__security_groups
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

current_groups as (
    select
        security_groups.*,
        source_snapshots.account_name,
        source_snapshots.is_stale
    from security_groups
    join source_snapshots
        on source_snapshots.resource_type = 'security_group'
       and source_snapshots.account_id = security_groups.account_id
       and source_snapshots.source_region = security_groups.region
       and security_groups.snapshot_date = source_snapshots.last_ok_snapshot_date
),

rules as (
    select
        current_groups.* exclude (ingress_rules, egress_rules),
        unnest(ingress_rules)                                           as rule,
        unnest(generate_series(1, len(ingress_rules)))                  as rule_number
    from current_groups
),

sources as (
    select *, 'ipv4_cidr' as source_type, unnest(rule.ipv4_ranges).cidr as source,
           unnest(rule.ipv4_ranges).description as source_description
    from rules
    union all by name
    select *, 'ipv6_cidr' as source_type, unnest(rule.ipv6_ranges).cidr as source,
           unnest(rule.ipv6_ranges).description as source_description
    from rules
    union all by name
    select *, 'prefix_list' as source_type, unnest(rule.prefix_list_ids) as source,
           cast(null as varchar) as source_description
    from rules
    union all by name
    select *, 'security_group' as source_type, unnest(rule.source_groups).group_id as source,
           unnest(rule.source_groups).description as source_description
    from rules
),

final as (
    select
        account_id,
        account_name,
        region,
        security_group_id,
        group_name,
        description                                                     as group_description,
        vpc_id,
        rule_number,
        case lower(rule.protocol)
            when '-1' then 'all'
            when '6' then 'tcp'
            when '17' then 'udp'
            when '1' then 'icmp'
            when '58' then 'icmpv6'
            else lower(rule.protocol)
        end                                                             as protocol,
        rule.from_port,
        rule.to_port,
        rule.protocol = '-1'                                            as all_protocols,
        rule.protocol = '-1'
            or (lower(rule.protocol) in ('tcp', 'udp', '6', '17')
                and rule.from_port = 0 and rule.to_port = 65535)        as all_ports,
        source_type,
        source,
        source_description,
        snapshot_date,
        is_stale
    from sources
)

select * from final
