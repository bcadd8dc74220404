-- marts.k8s_unhealthy: one row per unhealthy thing in each cluster's latest ok dump (pods failing,
-- evicted, crash-looping, failing to pull their image or pending too long; pending or lost claims; nodes
-- not ready or under pressure; Deployments, StatefulSets and DaemonSets short of ready replicas), with
-- the node's EC2 instance as the AWS inventory knows it. A cluster whose latest dump is stale keeps the
-- rows of that dump, marked is_stale. Rules and categories: intermediate.int_k8s__unhealthy; pending
-- thresholds: include/config/seeds/k8s_thresholds.csv. Data dictionary: docs/data-dictionary/k8s_unhealthy.md.
with unhealthy as (
    select * from intermediate.int_k8s__unhealthy
),

latest_dumps as (
    select * from intermediate.int_k8s__latest_dumps
),

thresholds as (
    select
        max(minutes) filter (where threshold = 'pending_pod_minutes')   as pending_pod_minutes,
        max(minutes) filter (where threshold = 'pending_claim_minutes') as pending_claim_minutes
    from seed_k8s_thresholds
),

accounts as (
    select * from seed_accounts
),

instances as (
    select * from staging.stg_aws__ec2_instances
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

current_instances as (
    select
        instances.instance_id,
        instances.account_id,
        instances.region,
        instances.name,
        instances.instance_type,
        instances.state,
        source_snapshots.is_stale
    from instances
    join source_snapshots
        on source_snapshots.resource_type = 'ec2_instance'
       and source_snapshots.account_id = instances.account_id
       and source_snapshots.source_region = instances.region
       and instances.snapshot_date = source_snapshots.last_ok_snapshot_date
),

current_unhealthy as (
    select
        unhealthy.*,
        latest_dumps.dump_key,
        latest_dumps.is_stale
    from unhealthy
    join latest_dumps
        on latest_dumps.cluster = unhealthy.cluster
       and latest_dumps.dump_at = unhealthy.dump_at
    cross join thresholds
    where (unhealthy.problem <> 'long_pending_pod' or unhealthy.pending_minutes >= thresholds.pending_pod_minutes)
      and (unhealthy.problem <> 'pending_claim' or unhealthy.pending_minutes >= thresholds.pending_claim_minutes)
),

final as (
    select
        current_unhealthy.cluster,
        current_unhealthy.account_id,
        accounts.account_name,
        current_unhealthy.region,
        current_unhealthy.namespace,
        current_unhealthy.kind,
        current_unhealthy.name,
        current_unhealthy.problem,
        current_unhealthy.detail,
        current_unhealthy.since,
        current_unhealthy.pending_minutes,
        current_unhealthy.node_name,
        current_unhealthy.node_ec2_instance_id                          as ec2_instance_id,
        current_instances.name                                          as ec2_instance_name,
        current_instances.instance_type                                 as ec2_instance_type,
        current_instances.state                                         as ec2_instance_state,
        current_instances.account_id                                    as ec2_account_id,
        current_unhealthy.dump_key,
        current_unhealthy.dump_at,
        current_unhealthy.snapshot_date,
        current_unhealthy.is_stale
    from current_unhealthy
    left join accounts
        on accounts.account_id = current_unhealthy.account_id
    left join current_instances
        on current_instances.instance_id = current_unhealthy.node_ec2_instance_id
       and current_instances.region = current_unhealthy.region
)

select * from final
