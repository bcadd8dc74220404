-- marts.resource_lookup: every identifier a person pastes (ids, ARNs, IPs, DNS names, Route 53 record
-- names, Name tags, pod IPs, ingress hosts, node names, …), normalised to lower case, mapped to the
-- resource, its account, region and (for Kubernetes) cluster. Current rows only: each AWS source's latest
-- ok snapshot and each cluster's latest ok dump; a stale source's rows stay, marked is_stale.
--
-- Grain: one row per (identifier, identifier_kind, resource, resolved target). Route 53 records, service
-- and ingress load balancer hostnames and node names also say what they resolve to (resolves_to_*), which
-- may be in another account: runs_in_account_* is that account when resolved, else the row's own, so
-- "which account runs www.example.com?" is one lookup. Identifiers: intermediate.int_lookup__aws_
-- identifiers and int_lookup__k8s_identifiers; resolution: intermediate.int_lookup__resolutions.
-- Data dictionary: docs/data-dictionary/resource_lookup.md.
with aws_identifiers as (
    select * from intermediate.int_lookup__aws_identifiers
),

k8s_identifiers as (
    select * from intermediate.int_lookup__k8s_identifiers
),

resolutions as (
    select * from intermediate.int_lookup__resolutions
),

accounts as (
    select * from seed_accounts
),

-- EC2 instances that are nodes of a cluster's latest dump get that cluster
node_clusters as (
    select distinct target as instance_id, cluster
    from k8s_identifiers
    where resource_type = 'k8s_node' and target_kind = 'ec2_instance' and target is not null
),

aws_rows as (
    select
        aws_identifiers.identifier,
        aws_identifiers.identifier_kind,
        aws_identifiers.resource_type,
        aws_identifiers.resource_id,
        aws_identifiers.resource_name,
        aws_identifiers.resource_state,
        aws_identifiers.account_id,
        aws_identifiers.account_name,
        aws_identifiers.region,
        node_clusters.cluster,
        cast(null as varchar)                                           as namespace,
        aws_identifiers.target_kind,
        aws_identifiers.target,
        'aws'                                                           as source,
        aws_identifiers.snapshot_date,
        aws_identifiers.snapshot_at                                     as as_of,
        aws_identifiers.is_stale
    from aws_identifiers
    left join node_clusters
        on aws_identifiers.resource_type = 'ec2_instance'
       and node_clusters.instance_id = lower(aws_identifiers.resource_id)
),

k8s_rows as (
    select
        identifier,
        identifier_kind,
        resource_type,
        resource_id,
        resource_name,
        cast(null as varchar)                                           as resource_state,
        account_id,
        cast(null as varchar)                                           as account_name,
        region,
        cluster,
        namespace,
        target_kind,
        target,
        'k8s'                                                           as source,
        snapshot_date,
        dump_at                                                         as as_of,
        is_stale
    from k8s_identifiers
),

unioned as (
    select * from aws_rows
    union all by name
    select * from k8s_rows
),

final as (
    select
        unioned.identifier,
        unioned.identifier_kind,
        unioned.resource_type,
        unioned.resource_id,
        unioned.resource_name,
        unioned.resource_state,
        unioned.account_id,
        coalesce(accounts.account_name, unioned.account_name)           as account_name,
        unioned.region,
        unioned.cluster,
        unioned.namespace,
        unioned.target_kind
            || coalesce(' > ' || resolutions.through_kind, '')          as resolves_via,
        unioned.target                                                  as resolves_to_target,
        resolutions.through_record                                      as resolves_through_record,
        resolutions.resource_type                                       as resolves_to_resource_type,
        resolutions.resource_id                                         as resolves_to_resource_id,
        resolutions.resource_name                                       as resolves_to_resource_name,
        resolutions.account_id                                          as resolves_to_account_id,
        coalesce(resolved_accounts.account_name, resolutions.account_name) as resolves_to_account_name,
        resolutions.region                                              as resolves_to_region,
        coalesce(resolutions.account_id, unioned.account_id)            as runs_in_account_id,
        case when resolutions.account_id is not null
             then coalesce(resolved_accounts.account_name, resolutions.account_name)
             else coalesce(accounts.account_name, unioned.account_name)
        end                                                             as runs_in_account_name,
        unioned.source,
        unioned.snapshot_date,
        unioned.as_of,
        unioned.is_stale
    from unioned
    left join resolutions
        on resolutions.target = unioned.target
    left join accounts
        on accounts.account_id = unioned.account_id
    left join accounts as resolved_accounts
        on resolved_accounts.account_id = resolutions.account_id
)

select * from final
