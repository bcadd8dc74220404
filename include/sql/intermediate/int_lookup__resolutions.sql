-- What each lookup target resolves to: one row per (target, resource) for every target named by
-- intermediate.int_lookup__aws_identifiers (Route 53 aliases, A/AAAA values, CNAME values) and
-- intermediate.int_lookup__k8s_identifiers (load balancer hostnames, node instance ids).
--
-- A target matches a current AWS identifier of kind dns_name, private_ip, public_ip or ipv6 (or, for
-- target_kind ec2_instance, an instance id), in ANY account: a record in one account's zone may point at
-- another account's load balancer, and the answer is the load balancer's account. When an address
-- belongs to several resources (an Elastic IP, the interface holding it and that interface's instance),
-- the target resolves to the most specific: the instance, NAT gateway, load balancer, database, …
-- before the network interface, and that before the Elastic IP allocation. Private addresses can repeat
-- across VPCs: such a target keeps every match.
--
-- A target that matches nothing but is itself a Route 53 record name (a CNAME to another record, an
-- alias to a record in the same zone) resolves through that record: one hop, through_record says which.
with aws_identifiers as (
    select * from intermediate.int_lookup__aws_identifiers
),

k8s_identifiers as (
    select * from intermediate.int_lookup__k8s_identifiers
),

targets as (
    select target from aws_identifiers where target is not null
    union
    select target from k8s_identifiers where target is not null
),

candidates as (
    select
        *,
        case resource_type
            when 'network_interface' then 2
            when 'elastic_ip' then 3
            else 1
        end                                                             as preference
    from aws_identifiers
    where identifier_kind in ('dns_name', 'private_ip', 'public_ip', 'ipv6')
       or (identifier_kind = 'id' and resource_type = 'ec2_instance')
),

direct as (
    select
        targets.target,
        candidates.resource_type,
        candidates.resource_id,
        candidates.resource_name,
        candidates.account_id,
        candidates.account_name,
        candidates.region,
        candidates.is_stale,
        cast(null as varchar)                                           as through_record,
        cast(null as varchar)                                           as through_kind
    from targets
    join candidates
        on candidates.identifier = targets.target
    qualify rank() over (partition by targets.target order by candidates.preference) = 1
),

records as (
    select distinct identifier as record_name, target_kind, target
    from aws_identifiers
    where identifier_kind = 'route53_record' and target is not null
),

hops as (
    select distinct
        targets.target,
        direct.resource_type,
        direct.resource_id,
        direct.resource_name,
        direct.account_id,
        direct.account_name,
        direct.region,
        direct.is_stale,
        records.record_name                                             as through_record,
        records.target_kind                                             as through_kind
    from targets
    join records
        on records.record_name = targets.target
    join direct
        on direct.target = records.target
    where not exists (select 1 from direct as matched where matched.target = targets.target)
),

final as (
    select * from direct
    union all
    select * from hops
)

select * from final
