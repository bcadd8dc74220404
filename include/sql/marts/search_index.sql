-- marts.search_index: what the explorer's search box matches, in one table sorted by the term, so that an exact
-- or a prefix lookup (`term = ?`, `term >= ? and term < ?`) reads only the row groups that hold the term.
-- Current resources only (marts.inventory_current and marts.resource_lookup: each source's latest ok
-- snapshot, each cluster's latest ok dump; stale rows stay, is_stale).
--
-- Terms, all lower case:
--   every identifier of marts.resource_lookup (ids, ARNs, names and Name tags, addresses, DNS names,
--   Route 53 record names, pod and node IPs, node names, ingress hosts, ...), with what it resolves to;
--   the name and <namespace>/<name> of every Kubernetes object (pods, deployments, services, ...: term_kind
--   k8s_name) and its id (<cluster>/<namespace>/<name>: id), which the lookup does not list;
--   every tag as `key=value` (term_kind tag; Kubernetes labels are a resource's tags, as in inventory_current).
-- resource_id is inventory_current's (for Kubernetes <cluster>/<namespace>/<name>), so every row names a row
-- of inventory_current and the resource's page. Kept narrow (the account's name, environment and team are
-- intermediate.int_inventory__accounts', joined when read): a million rows are written on every build.
-- Data dictionary: docs/data-dictionary/search_index.md.
with lookup as (
    select * from marts.resource_lookup
),

current_resources as (
    select * from marts.inventory_current
),

identifiers as (
    select
        lookup.identifier                                               as term,
        lookup.identifier_kind                                          as term_kind,
        lookup.resource_type,
        case when lookup.source = 'k8s' then lookup.cluster || '/' || lookup.resource_id
             else lookup.resource_id end                                as resource_id,
        lookup.resource_name                                            as name,
        lookup.resource_state                                           as state,
        lookup.account_id,
        lookup.region,
        lookup.cluster,
        lookup.namespace,
        lookup.is_stale,
        lookup.resolves_via,
        lookup.resolves_through_record,
        lookup.resolves_to_resource_type,
        lookup.resolves_to_resource_id,
        lookup.resolves_to_resource_name,
        lookup.resolves_to_account_id,
        lookup.resolves_to_region
    from lookup
),

-- Kubernetes objects by name, <namespace>/<name> (term_kind k8s_name) and id (<cluster>/<namespace>/<name>),
-- with their states (the lookup has no state for them)
k8s_objects as (
    select * from current_resources where provider = 'kubernetes'
),

k8s_names as (
    select
        unnest(list_distinct([lower(name), lower(namespace || '/' || name)]))  as term,
        'k8s_name'                                                      as term_kind,
        resource_type, resource_id, name, state, account_id, region, cluster, namespace, is_stale
    from k8s_objects
    where name is not null
    union all
    select
        lower(resource_id), 'id',
        resource_type, resource_id, name, state, account_id, region, cluster, namespace, is_stale
    from k8s_objects
),

tags as (
    select
        lower(tag.key) || '=' || lower(coalesce(tag.value, ''))         as term,
        'tag'                                                           as term_kind,
        resource_type,
        resource_id,
        name,
        state,
        account_id,
        region,
        cluster,
        namespace,
        is_stale
    from (select *, unnest(map_entries(tags)) as tag from current_resources)
),

k8s_states as (
    select resource_type, resource_id, state from k8s_objects
),

unioned as (
    select identifiers.* replace (coalesce(identifiers.state, k8s_states.state) as state)
    from identifiers
    left join k8s_states
        on k8s_states.resource_type = identifiers.resource_type
       and k8s_states.resource_id = identifiers.resource_id
    union all by name
    select * from k8s_names
    union all by name
    select * from tags
),

final as (
    select
        unioned.term,
        unioned.term_kind,
        unioned.resource_type,
        unioned.resource_id,
        unioned.name,
        unioned.state,
        unioned.account_id,
        unioned.region,
        unioned.cluster,
        unioned.namespace,
        unioned.is_stale,
        unioned.resolves_via,
        unioned.resolves_through_record,
        unioned.resolves_to_resource_type,
        unioned.resolves_to_resource_id,
        unioned.resolves_to_resource_name,
        unioned.resolves_to_account_id,
        unioned.resolves_to_region
    from unioned
    where nullif(unioned.term, '') is not null
)

-- sorted by the term: a lookup reads only the row groups whose term range holds it
select * from final
order by term
