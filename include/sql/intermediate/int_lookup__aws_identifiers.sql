-- materialized: table
-- Every identifier a person might paste for a current AWS resource (each source's latest ok snapshot; a
-- stale source's resources as last seen, marked is_stale): one row per (identifier, identifier_kind,
-- resource). A table, because resource_lookup reads it twice (as rows and as what DNS targets resolve to).
--
-- identifier is normalised: lower case, trimmed, DNS names without the trailing dot, Route 53's \052
-- escape as *. identifier_kind:
--   id                 the resource's id (i-…, vol-…, eipalloc-…, a bucket or DB identifier, …)
--   arn                its ARN (also the id of ELBv2 load balancers and target groups)
--   name_tag / name    its Name tag, or the name the service gives it (GroupName, LoadBalancerName, …)
--   private_ip, public_ip, ipv6   addresses of instances, network interfaces, Elastic IPs, NAT gateways
--   dns_name           DNS names of instances and interfaces (private and public), load balancers,
--                      CloudFront distributions, RDS instance and cluster endpoints, Redshift endpoints,
--                      EKS API servers
--   cloudfront_alias   a CNAME (alternate domain) a CloudFront distribution serves
--   route53_record     a Route 53 record's name (NS and SOA records left out)
-- target_kind/target: what a Route 53 record points at, one row per target (alias: the alias DNS name
-- without dualstack. and trailing dot; a, aaaa: each address; cname: the normalised name), resolved to a
-- resource by marts.resource_lookup; null for everything else.
with source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

versions as (
    select * from intermediate.int_inventory__aws_named_versions
),

-- current rows: the version each source's latest ok snapshot saw (a version's last_seen_date is the date of
-- the last snapshot that saw it; name, ARN, tags and state are in its config hash, so they are that
-- snapshot's, named from the event that started the version). Read from the versions, not from every
-- staging row of every snapshot.
current_resources as (
    select
        versions.resource_type,
        versions.resource_id,
        versions.account_id,
        versions.region,
        versions.arn,
        versions.name,
        versions.tags,
        versions.state,
        versions.last_seen_date                                         as snapshot_date,
        versions.last_seen_at                                           as snapshot_at,
        source_snapshots.account_name,
        source_snapshots.is_stale
    from versions
    inner join source_snapshots
        on source_snapshots.resource_type = versions.resource_type
       and source_snapshots.account_id = versions.account_id
       and source_snapshots.source_region = versions.source_region
       and versions.last_seen_date = source_snapshots.last_ok_snapshot_date
),

-- the typed rows each identifier kind needs, cut to current rows before anything is unnested
instances as (
    select typed.*
    from staging.stg_aws__ec2_instances as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

network_interfaces as (
    select typed.*
    from staging.stg_aws__network_interfaces as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

elastic_ips as (
    select typed.*
    from staging.stg_aws__elastic_ips as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

nat_gateways as (
    select typed.*
    from staging.stg_aws__nat_gateways as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

elbv2_load_balancers as (
    select typed.*
    from staging.stg_aws__elbv2_load_balancers as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

classic_load_balancers as (
    select typed.*
    from staging.stg_aws__classic_load_balancers as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

cloudfront_distributions as (
    select typed.*
    from staging.stg_aws__cloudfront_distributions as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

rds_instances as (
    select typed.*
    from staging.stg_aws__rds_instances as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

rds_clusters as (
    select typed.*
    from staging.stg_aws__rds_clusters as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

redshift_clusters as (
    select typed.*
    from staging.stg_aws__redshift_clusters as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

eks_clusters as (
    select typed.*
    from staging.stg_aws__eks_clusters as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

route53_records as (
    select typed.*
    from staging.stg_aws__route53_records as typed
    semi join current_resources as c
        on c.resource_type = typed.resource_type and c.account_id = typed.account_id and c.region = typed.region
       and c.resource_id = typed.resource_id and c.snapshot_date = typed.snapshot_date
),

generic as (
    select
        resource_type, resource_id, account_id, region, snapshot_date,
        resource_id                                                     as raw_identifier,
        case when starts_with(resource_id, 'arn:') then 'arn' else 'id' end as identifier_kind
    from current_resources
    where resource_type not in ('route53_record')
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, arn, 'arn'
    from current_resources
    where arn is not null and arn <> resource_id
    union all
    select
        resource_type, resource_id, account_id, region, snapshot_date, name,
        case when tags['Name'] = name then 'name_tag' else 'name' end
    from current_resources
    where name is not null and lower(name) <> lower(resource_id)
      and resource_type not in ('route53_record', 'cloudfront_distribution')
),

addresses as (
    -- EC2 instances
    select resource_type, resource_id, account_id, region, snapshot_date,
           unnest(list_distinct(list_concat([private_ip_address], private_ip_addresses))) as raw_identifier,
           'private_ip' as identifier_kind
    from instances
    union all
    select resource_type, resource_id, account_id, region, snapshot_date,
           unnest(list_distinct(list_concat([public_ip_address], public_ip_addresses))), 'public_ip'
    from instances
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, unnest(ipv6_addresses), 'ipv6'
    from instances
    union all
    select resource_type, resource_id, account_id, region, snapshot_date,
           unnest([private_dns_name, public_dns_name]), 'dns_name'
    from instances
    -- network interfaces
    union all
    select resource_type, resource_id, account_id, region, snapshot_date,
           unnest(list_distinct(list_concat([private_ip_address], private_ip_addresses))), 'private_ip'
    from network_interfaces
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, public_ip, 'public_ip'
    from network_interfaces
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, unnest(ipv6_addresses), 'ipv6'
    from network_interfaces
    union all
    select resource_type, resource_id, account_id, region, snapshot_date,
           unnest([private_dns_name, public_dns_name]), 'dns_name'
    from network_interfaces
    -- Elastic IPs and NAT gateways
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, public_ip, 'public_ip'
    from elastic_ips
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, unnest(public_ips), 'public_ip'
    from nat_gateways
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, unnest(private_ips), 'private_ip'
    from nat_gateways
    -- DNS names of load balancers, CloudFront, databases, EKS API servers
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, dns_name, 'dns_name'
    from elbv2_load_balancers
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, dns_name, 'dns_name'
    from classic_load_balancers
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, domain_name, 'dns_name'
    from cloudfront_distributions
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, unnest(aliases), 'cloudfront_alias'
    from cloudfront_distributions
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, endpoint_address, 'dns_name'
    from rds_instances
    union all
    select resource_type, resource_id, account_id, region, snapshot_date,
           unnest(list_concat([endpoint_address, reader_endpoint_address], custom_endpoint_addresses)), 'dns_name'
    from rds_clusters
    union all
    select resource_type, resource_id, account_id, region, snapshot_date, endpoint_address, 'dns_name'
    from redshift_clusters
    union all
    select resource_type, resource_id, account_id, region, snapshot_date,
           regexp_extract(endpoint_url, '^(https?://)?([^/:]+)', 2), 'dns_name'
    from eks_clusters
),

record_targets as (
    select
        resource_type, resource_id, account_id, region, snapshot_date,
        record_name                                                     as raw_identifier,
        'route53_record'                                                as identifier_kind,
        case
            when alias_dns_name is not null then 'alias'
            when record_type in ('A', 'AAAA', 'CNAME') then lower(record_type)
        end                                                             as target_kind,
        case
            when alias_dns_name is not null then [alias_dns_name]
            when record_type in ('A', 'AAAA', 'CNAME') then record_values
        end                                                             as raw_targets
    from route53_records
    where record_type not in ('NS', 'SOA')
),

records as (
    select
        * exclude (raw_targets, target_kind),
        case when raw_target is not null then target_kind end           as target_kind,
        regexp_replace(regexp_replace(replace(lower(trim(raw_target)), '\052', '*'), '\.$', ''),
                       '^dualstack\.', '')                              as target
    from (
        select *, unnest(coalesce(nullif(raw_targets, []), [null])) as raw_target
        from record_targets
    )
),

identifiers as (
    select *, cast(null as varchar) as target_kind, cast(null as varchar) as target from generic
    union all by name
    select *, cast(null as varchar) as target_kind, cast(null as varchar) as target from addresses
    union all by name
    select * from records
),

final as (
    select distinct
        regexp_replace(replace(lower(trim(identifiers.raw_identifier)), '\052', '*'), '(.)\.$', '\1')
                                                                        as identifier,
        identifiers.identifier_kind,
        identifiers.resource_type,
        identifiers.resource_id,
        current_resources.name                                          as resource_name,
        current_resources.state                                         as resource_state,
        identifiers.account_id,
        current_resources.account_name,
        identifiers.region,
        identifiers.target_kind,
        identifiers.target,
        current_resources.snapshot_date,
        current_resources.snapshot_at,
        current_resources.is_stale
    from identifiers
    join current_resources
        on current_resources.resource_type = identifiers.resource_type
       and current_resources.account_id = identifiers.account_id
       and current_resources.region = identifiers.region
       and current_resources.resource_id = identifiers.resource_id
       and current_resources.snapshot_date = identifiers.snapshot_date
    where nullif(trim(identifiers.raw_identifier), '') is not null
)

select * from final
