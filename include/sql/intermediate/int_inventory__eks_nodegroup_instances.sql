-- Which EC2 instances are the nodes of which EKS node group now: one row per (node group, instance).
-- Two ways to know, either is enough (is_link_stale: only known from a stale source):
--   kubernetes_node  a node of the cluster's latest ok dump whose node-group label names the group
--                    (eks.amazonaws.com/nodegroup, or Karpenter's node pool) and whose providerID names the
--                    instance; the Kubernetes cluster is matched to the EKS cluster by name, account and region
--   ec2_tag          a current (not terminated) instance tagged eks:cluster-name and eks:nodegroup-name, as EKS
--                    tags the instances it launches for a managed node group
with nodes as (
    select * from staging.stg_k8s__nodes
),

clusters as (
    select * from intermediate.int_k8s__latest_dumps
),

instances as (
    select * from staging.stg_aws__ec2_instances
),

sources as (
    select * from intermediate.int_aws__source_snapshots
),

node_links as (
    select
        clusters.account_id,
        clusters.region,
        nodes.cluster                                               as cluster_name,
        nodes.nodegroup                                             as nodegroup_name,
        nodes.ec2_instance_id                                       as instance_id,
        'kubernetes_node'                                           as linked_by,
        clusters.is_stale                                           as is_link_stale
    from nodes
    inner join clusters
        on clusters.cluster = nodes.cluster
        and nodes.dump_at = clusters.dump_at
    where nodes.nodegroup is not null
        and nodes.ec2_instance_id is not null
),

tag_links as (
    select
        instances.account_id,
        instances.region,
        instances.tags['eks:cluster-name']                          as cluster_name,
        instances.tags['eks:nodegroup-name']                        as nodegroup_name,
        instances.resource_id                                       as instance_id,
        'ec2_tag'                                                   as linked_by,
        sources.is_stale                                            as is_link_stale
    from instances
    inner join sources
        on sources.resource_type = 'ec2_instance'
        and sources.account_id = instances.account_id
        and sources.source_region = instances.region
        and instances.snapshot_date = sources.last_ok_snapshot_date
    where instances.tags['eks:nodegroup-name'] is not null
        and instances.tags['eks:cluster-name'] is not null
        and coalesce(instances.state, '') not in ('terminated', 'shutting-down')
),

unioned as (
    select * from node_links
    union all
    select * from tag_links
),

final as (
    select
        account_id,
        region,
        cluster_name,
        nodegroup_name,
        instance_id,
        list_sort(list(distinct linked_by))                         as linked_by,
        -- every way this instance was linked comes from a stale source (a silent cluster, a failed account)
        bool_and(is_link_stale)                                     as is_link_stale
    from unioned
    group by account_id, region, cluster_name, nodegroup_name, instance_id
)

select * from final
