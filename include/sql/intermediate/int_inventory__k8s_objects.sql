-- Every Kubernetes object row of every dump, one shape for all kinds: the staging models' common columns,
-- resource_type "k8s_<kind>" (k8s_pod, k8s_node, ...), and a state where the kind has one (the phase of a
-- pod, claim, volume or namespace; Ready, NotReady or Unknown for a node). Events are not objects of the
-- inventory (they are records that expire within the hour) and are left out.
--
-- The union list: one line per Kubernetes staging model except stg_k8s__events.
with unioned as (
    select * from staging.stg_k8s__cronjobs
    union all by name select * from staging.stg_k8s__daemonsets
    union all by name select * from staging.stg_k8s__deployments
    union all by name select * from staging.stg_k8s__ingresses
    union all by name select * from staging.stg_k8s__jobs
    union all by name select * from staging.stg_k8s__namespaces
    union all by name select * from staging.stg_k8s__nodes
    union all by name select * from staging.stg_k8s__other_objects
    union all by name select * from staging.stg_k8s__persistentvolumeclaims
    union all by name select * from staging.stg_k8s__persistentvolumes
    union all by name select * from staging.stg_k8s__pods
    union all by name select * from staging.stg_k8s__replicasets
    union all by name select * from staging.stg_k8s__services
    union all by name select * from staging.stg_k8s__statefulsets
),

final as (
    select
        'k8s_' || lower(kind)                                       as resource_type,
        cluster,
        account_id,
        region,
        kind,
        namespace,
        resource_id,  -- namespace/name, or name for cluster-scoped kinds
        name,
        labels,
        coalesce(
            phase,
            case
                when kind <> 'Node' then null
                when is_ready then 'Ready'
                when not is_ready then 'NotReady'
                else 'Unknown'
            end
        )                                                           as state,
        created_at,
        dump_at,
        snapshot_date,
        snapshot_at
    from unioned
)

select * from final
