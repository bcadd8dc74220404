-- marts.security_group_open_ingress: one row per inbound rule source open to the whole internet
-- (0.0.0.0/0 or ::/0) of every current security group (each source's latest ok snapshot; a stale source's
-- groups as last seen, marked is_stale), with how many network interfaces and instances use the group.
-- A rule open on both IPv4 and IPv6 is two rows (cidr says which). Rules: intermediate.int_network__
-- security_group_rules; usage: intermediate.int_network__security_group_usage.
-- Data dictionary: docs/data-dictionary/security_group_open_ingress.md.
with rules as (
    select * from intermediate.int_network__security_group_rules
),

usage as (
    select * from intermediate.int_network__security_group_usage
),

open_rules as (
    select *
    from rules
    where source_type in ('ipv4_cidr', 'ipv6_cidr')
      and source in ('0.0.0.0/0', '::/0')
),

final as (
    select
        open_rules.account_id,
        open_rules.account_name,
        open_rules.region,
        open_rules.security_group_id,
        open_rules.group_name,
        open_rules.group_description,
        open_rules.vpc_id,
        open_rules.rule_number,
        open_rules.protocol,
        open_rules.from_port,
        open_rules.to_port,
        case
            when open_rules.all_ports then 'all'
            when open_rules.protocol in ('icmp', 'icmpv6') then
                'type ' || coalesce(cast(open_rules.from_port as varchar), 'all')
                || ' code ' || coalesce(cast(open_rules.to_port as varchar), 'all')
            when open_rules.from_port = open_rules.to_port then cast(open_rules.from_port as varchar)
            else open_rules.from_port || '-' || open_rules.to_port
        end                                                             as port_range,
        open_rules.all_ports,
        open_rules.all_protocols,
        open_rules.source                                               as cidr,
        case open_rules.source_type when 'ipv4_cidr' then 4 else 6 end  as ip_version,
        open_rules.source_description                                   as rule_description,
        coalesce(usage.network_interface_count, 0)                      as network_interface_count,
        coalesce(usage.instance_count, 0)                               as instance_count,
        coalesce(usage.running_instance_count, 0)                       as running_instance_count,
        open_rules.snapshot_date,
        open_rules.is_stale
    from open_rules
    left join usage
        on usage.region = open_rules.region
       and usage.security_group_id = open_rules.security_group_id
)

select * from final
