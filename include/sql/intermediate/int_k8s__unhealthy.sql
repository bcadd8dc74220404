-- One row per unhealthy thing per Kubernetes dump (every dump, not only the latest): the candidates
-- marts.k8s_unhealthy keeps for each cluster's latest ok dump. Kept per dump so "was it already failing
-- in yesterday's dumps?" is a query, and so each problem's rule can be checked on any day of the lake.
--
-- problem (one per thing; a pod gets the first that applies, in this order):
--   evicted_pod             pod phase Failed, reason Evicted
--   failed_pod              pod phase Failed, any other reason
--   crash_looping_pod       a container waiting CrashLoopBackOff
--   image_pull_failing_pod  a container waiting ImagePullBackOff, ErrImagePull or InvalidImageName
--   long_pending_pod        pod phase Pending with none of the above. A CANDIDATE: every Pending pod is
--                           listed with pending_minutes; the mart keeps those pending at least the
--                           seed k8s_thresholds' pending_pod_minutes (a view cannot read seeds)
--   pending_claim           PersistentVolumeClaim phase Pending (candidate too: pending_claim_minutes)
--   lost_claim              PersistentVolumeClaim phase Lost
--   node_not_ready          node Ready condition not True (False or Unknown: is_ready is not true)
--   node_disk_pressure, node_memory_pressure, node_pid_pressure   that condition True
--   workload_short          Deployment, StatefulSet or DaemonSet with fewer ready than desired replicas
--                           (ReplicaSets repeat their Deployment's counts and are left out; a DaemonSet's
--                           misscheduled pods do not make it short)
--
-- since: the best time the dump offers: for a failing pod its Ready condition's lastTransitionTime (when
-- it stopped being ready; a crash-looping pod's restarts began then), else its start or creation; for a
-- pending pod or claim its creation; for a node the condition's lastTransitionTime; for a Deployment its
-- Available (else Progressing) condition's lastTransitionTime when that is False; else null.
-- node_ec2_instance_id: the EC2 instance of the node (a node's own, a pod's node's in the same dump).
with pods as (
    select * from staging.stg_k8s__pods
),

nodes as (
    select * from staging.stg_k8s__nodes
),

claims as (
    select * from staging.stg_k8s__persistentvolumeclaims
),

deployments as (
    select * from staging.stg_k8s__deployments
),

statefulsets as (
    select * from staging.stg_k8s__statefulsets
),

daemonsets as (
    select * from staging.stg_k8s__daemonsets
),

classified_pods as (
    select
        *,
        case
            when phase = 'Failed' and status_reason = 'Evicted' then 'evicted_pod'
            when phase = 'Failed' then 'failed_pod'
            when waiting_reason = 'CrashLoopBackOff' then 'crash_looping_pod'
            when waiting_reason in ('ImagePullBackOff', 'ErrImagePull', 'InvalidImageName') then 'image_pull_failing_pod'
            when phase = 'Pending' then 'long_pending_pod'
        end                                                             as problem,
        list_filter(conditions, lambda c: c.type = 'Ready' and c.status <> 'True')[1]   as unready_condition,
        list_filter(conditions, lambda c: c.type = 'PodScheduled')[1]                   as scheduled_condition
    from pods
    -- the few pods that can have a problem, before their conditions are read
    where phase in ('Failed', 'Pending')
       or waiting_reason in ('CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName')
),

pod_problems as (
    select
        pods.cluster,
        pods.account_id,
        pods.region,
        pods.dump_at,
        pods.snapshot_date,
        pods.namespace,
        pods.kind,
        pods.name,
        pods.problem,
        case pods.problem
            when 'evicted_pod' then 'Evicted: ' || coalesce(trim(pods.status_message), 'no message')
            when 'failed_pod' then 'Failed'
                || coalesce(' (' || pods.status_reason || ')', '')
                || coalesce(': ' || pods.status_message, '')
                || coalesce('; last terminated ' || pods.last_termination_reason, '')
            when 'crash_looping_pod' then format('container waiting CrashLoopBackOff; {} restarts; last terminated {}',
                                                 pods.restart_count, coalesce(pods.last_termination_reason, 'unknown'))
            when 'image_pull_failing_pod' then format('container waiting {}; image {}', pods.waiting_reason,
                                                      array_to_string(pods.container_images, ', '))
            else format('Pending {} min', date_diff('minute', pods.created_at, pods.dump_at))
                || coalesce('; PodScheduled ' || pods.scheduled_condition.status
                            || coalesce(' (' || pods.scheduled_condition.reason || ')', '')
                            || coalesce(': ' || pods.scheduled_condition.message, ''), '')
        end                                                             as detail,
        case
            when pods.problem = 'long_pending_pod' then pods.created_at
            else coalesce(pods.unready_condition.last_transition_at, pods.started_at, pods.created_at)
        end                                                             as since,
        case when pods.problem = 'long_pending_pod'
             then date_diff('minute', pods.created_at, pods.dump_at) end as pending_minutes,
        pods.node_name,
        nodes.ec2_instance_id                                           as node_ec2_instance_id
    from classified_pods as pods
    left join nodes
        on nodes.cluster = pods.cluster and nodes.dump_at = pods.dump_at and nodes.name = pods.node_name
    where pods.problem is not null
),

claim_problems as (
    select
        cluster,
        account_id,
        region,
        dump_at,
        snapshot_date,
        namespace,
        kind,
        name,
        case phase when 'Pending' then 'pending_claim' else 'lost_claim' end    as problem,
        format('claim {}; storage class {}; requests {} bytes', phase, coalesce(storage_class, '(default)'),
               requested_bytes)
            || coalesce('; volume ' || volume_name, '')                 as detail,
        created_at                                                      as since,
        case when phase = 'Pending' then date_diff('minute', created_at, dump_at) end as pending_minutes,
        cast(null as varchar)                                           as node_name,
        cast(null as varchar)                                           as node_ec2_instance_id
    from claims
    where phase in ('Pending', 'Lost')
),

node_checks as (
    select nodes.*, checks.problem, checks.condition_type
    from nodes
    cross join (values
        ('node_not_ready', 'Ready'),
        ('node_disk_pressure', 'DiskPressure'),
        ('node_memory_pressure', 'MemoryPressure'),
        ('node_pid_pressure', 'PIDPressure')
    ) as checks(problem, condition_type)
    where case checks.problem
              when 'node_not_ready' then nodes.is_ready is not true
              when 'node_disk_pressure' then nodes.has_disk_pressure
              when 'node_memory_pressure' then nodes.has_memory_pressure
              when 'node_pid_pressure' then nodes.has_pid_pressure
          end
),

node_problems as (
    select
        cluster,
        account_id,
        region,
        dump_at,
        snapshot_date,
        namespace,
        kind,
        name,
        problem,
        coalesce(condition.type || ' ' || condition.status
                     || coalesce(' (' || condition.reason || ')', '')
                     || coalesce(': ' || condition.message, ''),
                 condition_type || ' condition missing')                as detail,
        condition.last_transition_at                                    as since,
        cast(null as bigint)                                            as pending_minutes,
        name                                                            as node_name,
        ec2_instance_id                                                 as node_ec2_instance_id
    from (
        select *, list_filter(conditions, lambda c: c.type = condition_type)[1] as condition
        from node_checks
    )
),

workloads as (
    select cluster, account_id, region, dump_at, snapshot_date, namespace, kind, name,
           desired_replicas as desired, ready_replicas as ready,
           coalesce(list_filter(conditions, lambda c: c.type = 'Available' and c.status = 'False')[1].last_transition_at,
                    list_filter(conditions, lambda c: c.type = 'Progressing' and c.status = 'False')[1].last_transition_at)
                                                                        as since
    from deployments
    union all
    select cluster, account_id, region, dump_at, snapshot_date, namespace, kind, name,
           desired_replicas, ready_replicas, cast(null as timestamptz)
    from statefulsets
    union all
    select cluster, account_id, region, dump_at, snapshot_date, namespace, kind, name,
           desired_pods, ready_pods, cast(null as timestamptz)
    from daemonsets
),

workload_problems as (
    select
        cluster,
        account_id,
        region,
        dump_at,
        snapshot_date,
        namespace,
        kind,
        name,
        'workload_short'                                                as problem,
        format('{} of {} replicas ready', coalesce(ready, 0), desired)  as detail,
        since,
        cast(null as bigint)                                            as pending_minutes,
        cast(null as varchar)                                           as node_name,
        cast(null as varchar)                                           as node_ec2_instance_id
    from workloads
    where coalesce(ready, 0) < desired
),

final as (
    select * from pod_problems
    union all by name
    select * from claim_problems
    union all by name
    select * from node_problems
    union all by name
    select * from workload_problems
)

select * from final
