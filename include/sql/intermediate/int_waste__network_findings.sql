-- Waste among current Elastic IPs and load balancers, one row per finding (the shared
-- int_waste__*_findings shape):
--   unassociated_eip: associated with nothing (no association, instance or network interface; an empty
--     NetworkInterfaceId counts as none); costs a month of public IPv4 address hours. The API gives no
--     allocation time: wasteful since the first snapshot that saw it unassociated after it was last
--     seen associated.
--   idle_load_balancer: an ALB/NLB/GWLB whose target groups hold no registered target (or that has no
--     target group), or a classic ELB with no registered instance; costs a month of load balancer hours
--     (capacity units, which an idle balancer hardly uses, are left out). No traffic metrics are
--     captured, so "no registered targets" is the rule: targets registered but unhealthy mean someone
--     is trying to use it (an incident, not waste). Wasteful since its creation when never seen with
--     targets, else since the first snapshot after it last had some.
with elastic_ips as (
    select * from staging.stg_aws__elastic_ips
),

load_balancers as (
    select * from staging.stg_aws__elbv2_load_balancers
),

target_groups as (
    select * from staging.stg_aws__elbv2_target_groups
),

classic_load_balancers as (
    select * from staging.stg_aws__classic_load_balancers
),

runs as (
    select * from staging.stg_manifest__aws_runs
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

thresholds as (
    select * from intermediate.int_waste__thresholds
),

-- Elastic IPs ---------------------------------------------------------------------------------------
eip_history as (
    select
        account_id,
        region,
        allocation_id,
        max(snapshot_date) filter (where association_id is not null or instance_id is not null
                                      or nullif(network_interface_id, '') is not null) as last_seen_associated_date
    from elastic_ips
    group by all
),

eip_unassociated_since as (
    select
        elastic_ips.account_id,
        elastic_ips.region,
        elastic_ips.allocation_id,
        min(elastic_ips.snapshot_date)                              as first_seen_unassociated_date
    from elastic_ips
    join eip_history
        on eip_history.account_id = elastic_ips.account_id
       and eip_history.region = elastic_ips.region
       and eip_history.allocation_id = elastic_ips.allocation_id
    where elastic_ips.association_id is null
      and elastic_ips.instance_id is null
      and nullif(elastic_ips.network_interface_id, '') is null
      and elastic_ips.snapshot_date > coalesce(eip_history.last_seen_associated_date, date '0001-01-01')
    group by all
),

unassociated_eips as (
    select
        'unassociated_eip'                                          as category,
        elastic_ips.account_id,
        elastic_ips.region,
        elastic_ips.resource_type,
        elastic_ips.allocation_id                                   as resource_id,
        elastic_ips.arn                                             as resource_arn,
        elastic_ips.name                                            as resource_name,
        elastic_ips.tags['team']                                    as team_tag,
        eip_unassociated_since.first_seen_unassociated_date         as wasteful_since,
        format('{} ({}) associated with nothing{}', elastic_ips.public_ip, elastic_ips.domain,
               case when eip_history.last_seen_associated_date is not null
                    then format(' (last seen associated {})', eip_history.last_seen_associated_date)
                    else '' end)                                    as detail,
        [{'price_key': 'vpc:public-ipv4', 'quantity': thresholds.hours_per_month, 'unit': 'hour'}]
                                                                    as cost_lines,
        [elastic_ips.allocation_id]                                 as includes_resource_ids,
        source_snapshots.is_stale,
        elastic_ips.snapshot_date                                   as observed_on,
        source_snapshots.latest_run_date                            as as_of_date
    from elastic_ips
    join source_snapshots
        on source_snapshots.resource_type = 'elastic_ip'
       and source_snapshots.account_id = elastic_ips.account_id
       and source_snapshots.source_region = elastic_ips.region
       and elastic_ips.snapshot_date = source_snapshots.last_ok_snapshot_date
    join eip_history
        on eip_history.account_id = elastic_ips.account_id
       and eip_history.region = elastic_ips.region
       and eip_history.allocation_id = elastic_ips.allocation_id
    join eip_unassociated_since
        on eip_unassociated_since.account_id = elastic_ips.account_id
       and eip_unassociated_since.region = elastic_ips.region
       and eip_unassociated_since.allocation_id = elastic_ips.allocation_id
    cross join thresholds
    where elastic_ips.association_id is null
      and elastic_ips.instance_id is null
      and nullif(elastic_ips.network_interface_id, '') is null
),

-- ALB / NLB / GWLB ----------------------------------------------------------------------------------
target_group_ok_days as (
    select distinct account_id, region, snapshot_date
    from runs
    where resource_type = 'elbv2_target_group' and status = 'ok'
),

targets_by_day as (
    -- registered targets per load balancer and snapshot date, over the target groups that forward to it
    select
        target_groups.account_id,
        target_groups.region,
        target_groups.snapshot_date,
        unnest(target_groups.load_balancer_arns)                    as load_balancer_arn,
        target_groups.target_group_arn,
        target_groups.registered_target_count,
        target_groups.healthy_target_count
    from target_groups
),

load_balancer_days as (
    -- only days whose target group extraction was ok: a failed one is not "no targets"
    select
        load_balancers.account_id,
        load_balancers.region,
        load_balancers.load_balancer_arn,
        load_balancers.snapshot_date,
        count(targets_by_day.target_group_arn)                      as target_group_count,
        coalesce(sum(targets_by_day.registered_target_count), 0)    as registered_target_count
    from load_balancers
    join target_group_ok_days
        on target_group_ok_days.account_id = load_balancers.account_id
       and target_group_ok_days.region = load_balancers.region
       and target_group_ok_days.snapshot_date = load_balancers.snapshot_date
    left join targets_by_day
        on targets_by_day.account_id = load_balancers.account_id
       and targets_by_day.region = load_balancers.region
       and targets_by_day.snapshot_date = load_balancers.snapshot_date
       and targets_by_day.load_balancer_arn = load_balancers.load_balancer_arn
    group by all
),

load_balancer_history as (
    select
        account_id,
        region,
        load_balancer_arn,
        max(snapshot_date) filter (where registered_target_count > 0) as last_seen_with_targets_date
    from load_balancer_days
    group by all
),

load_balancer_idle_since as (
    select
        load_balancer_days.account_id,
        load_balancer_days.region,
        load_balancer_days.load_balancer_arn,
        min(load_balancer_days.snapshot_date)                       as first_seen_without_targets_date
    from load_balancer_days
    join load_balancer_history
        on load_balancer_history.account_id = load_balancer_days.account_id
       and load_balancer_history.region = load_balancer_days.region
       and load_balancer_history.load_balancer_arn = load_balancer_days.load_balancer_arn
    where load_balancer_days.registered_target_count = 0
      and load_balancer_days.snapshot_date
          > coalesce(load_balancer_history.last_seen_with_targets_date, date '0001-01-01')
    group by all
),

idle_elbv2 as (
    select
        'idle_load_balancer'                                        as category,
        load_balancers.account_id,
        load_balancers.region,
        load_balancers.resource_type,
        load_balancers.load_balancer_arn                            as resource_id,
        load_balancers.arn                                          as resource_arn,
        coalesce(load_balancers.name, load_balancers.load_balancer_name) as resource_name,
        load_balancers.tags['team']                                 as team_tag,
        case
            when load_balancer_history.last_seen_with_targets_date is null
                then cast(timezone('UTC', load_balancers.created_at) as date)
            else load_balancer_idle_since.first_seen_without_targets_date
        end                                                         as wasteful_since,
        format('{} load balancer ({}): {}, no registered targets{}', load_balancers.load_balancer_type,
               load_balancers.scheme,
               case load_balancer_days.target_group_count
                   when 0 then 'no target group'
                   when 1 then '1 target group'
                   else load_balancer_days.target_group_count || ' target groups' end,
               case when load_balancer_history.last_seen_with_targets_date is not null
                    then format(' (last seen with targets {})', load_balancer_history.last_seen_with_targets_date)
                    else '' end)                                    as detail,
        [{'price_key': 'elb:' || coalesce(load_balancers.load_balancer_type, 'unknown'),
          'quantity': thresholds.hours_per_month, 'unit': 'hour'}]  as cost_lines,
        [load_balancers.load_balancer_arn]                          as includes_resource_ids,
        lb_source.is_stale or coalesce(tg_source.is_stale, true)    as is_stale,
        load_balancers.snapshot_date                                as observed_on,
        lb_source.latest_run_date                                   as as_of_date
    from load_balancers
    join source_snapshots as lb_source
        on lb_source.resource_type = 'elbv2_load_balancer'
       and lb_source.account_id = load_balancers.account_id
       and lb_source.source_region = load_balancers.region
       and load_balancers.snapshot_date = lb_source.last_ok_snapshot_date
    -- its target groups as of the same day (no ok target group extraction that day: not judged)
    join source_snapshots as tg_source
        on tg_source.resource_type = 'elbv2_target_group'
       and tg_source.account_id = load_balancers.account_id
       and tg_source.source_region = load_balancers.region
    join load_balancer_days
        on load_balancer_days.account_id = load_balancers.account_id
       and load_balancer_days.region = load_balancers.region
       and load_balancer_days.load_balancer_arn = load_balancers.load_balancer_arn
       and load_balancer_days.snapshot_date = load_balancers.snapshot_date
    join load_balancer_history
        on load_balancer_history.account_id = load_balancers.account_id
       and load_balancer_history.region = load_balancers.region
       and load_balancer_history.load_balancer_arn = load_balancers.load_balancer_arn
    left join load_balancer_idle_since
        on load_balancer_idle_since.account_id = load_balancers.account_id
       and load_balancer_idle_since.region = load_balancers.region
       and load_balancer_idle_since.load_balancer_arn = load_balancers.load_balancer_arn
    cross join thresholds
    where load_balancer_days.registered_target_count = 0
),

-- Classic ELB ---------------------------------------------------------------------------------------
classic_history as (
    select
        account_id,
        region,
        load_balancer_name,
        max(snapshot_date) filter (where len(instance_ids) > 0)     as last_seen_with_instances_date
    from classic_load_balancers
    group by all
),

classic_idle_since as (
    select
        classic_load_balancers.account_id,
        classic_load_balancers.region,
        classic_load_balancers.load_balancer_name,
        min(classic_load_balancers.snapshot_date)                   as first_seen_without_instances_date
    from classic_load_balancers
    join classic_history
        on classic_history.account_id = classic_load_balancers.account_id
       and classic_history.region = classic_load_balancers.region
       and classic_history.load_balancer_name = classic_load_balancers.load_balancer_name
    where coalesce(len(classic_load_balancers.instance_ids), 0) = 0
      and classic_load_balancers.snapshot_date
          > coalesce(classic_history.last_seen_with_instances_date, date '0001-01-01')
    group by all
),

idle_classic as (
    select
        'idle_load_balancer'                                        as category,
        classic_load_balancers.account_id,
        classic_load_balancers.region,
        classic_load_balancers.resource_type,
        classic_load_balancers.load_balancer_name                   as resource_id,
        classic_load_balancers.arn                                  as resource_arn,
        classic_load_balancers.name                                 as resource_name,
        classic_load_balancers.tags['team']                         as team_tag,
        case
            when classic_history.last_seen_with_instances_date is null
                then cast(timezone('UTC', classic_load_balancers.created_at) as date)
            else classic_idle_since.first_seen_without_instances_date
        end                                                         as wasteful_since,
        format('classic load balancer ({}): no registered instances{}', classic_load_balancers.scheme,
               case when classic_history.last_seen_with_instances_date is not null
                    then format(' (last seen with instances {})', classic_history.last_seen_with_instances_date)
                    else '' end)                                    as detail,
        [{'price_key': 'elb:classic', 'quantity': thresholds.hours_per_month, 'unit': 'hour'}] as cost_lines,
        [classic_load_balancers.load_balancer_name]                 as includes_resource_ids,
        source_snapshots.is_stale,
        classic_load_balancers.snapshot_date                        as observed_on,
        source_snapshots.latest_run_date                            as as_of_date
    from classic_load_balancers
    join source_snapshots
        on source_snapshots.resource_type = 'classic_load_balancer'
       and source_snapshots.account_id = classic_load_balancers.account_id
       and source_snapshots.source_region = classic_load_balancers.region
       and classic_load_balancers.snapshot_date = source_snapshots.last_ok_snapshot_date
    join classic_history
        on classic_history.account_id = classic_load_balancers.account_id
       and classic_history.region = classic_load_balancers.region
       and classic_history.load_balancer_name = classic_load_balancers.load_balancer_name
    left join classic_idle_since
        on classic_idle_since.account_id = classic_load_balancers.account_id
       and classic_idle_since.region = classic_load_balancers.region
       and classic_idle_since.load_balancer_name = classic_load_balancers.load_balancer_name
    cross join thresholds
    where coalesce(len(classic_load_balancers.instance_ids), 0) = 0
),

final as (
    select * from unassociated_eips
    union all by name
    select * from idle_elbv2
    union all by name
    select * from idle_classic
)

select * from final
