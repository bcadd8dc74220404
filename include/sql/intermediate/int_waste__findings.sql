-- materialized: table
-- (A table: marts.waste reads it twice, for the cost lines and for the rows.)
-- Every waste finding, one row per (category, resource), with overlapping savings folded together so
-- no dollar is counted twice.
-- One resource can meet several rules: an unattached gp2 volume is unattached_volume and gp2_volume; a
-- gp2 volume of a long-stopped instance is part of that stopped_instance; an orphaned snapshot is
-- usually old too. A finding lists in includes_resource_ids the resources whose whole cost its saving
-- already contains (a stopped instance: its volumes; a volume, snapshot or address: itself). A finding
-- about such a resource with a lower precedence (below) is dropped, and its category is named in the
-- surviving finding's also_matches instead.
--   precedence: stopped_instance 1, unattached_volume 2, orphaned_snapshot 3, old_snapshot 4,
--               gp2_volume 5 (a saving on part of the cost), every other category 9
with instance_findings as (
    select * from intermediate.int_waste__instance_findings
),

volume_findings as (
    select * from intermediate.int_waste__volume_findings
),

snapshot_findings as (
    select * from intermediate.int_waste__snapshot_findings
),

network_findings as (
    select * from intermediate.int_waste__network_findings
),

rds_findings as (
    select * from intermediate.int_waste__rds_findings
),

log_group_findings as (
    select * from intermediate.int_waste__log_group_findings
),

nat_gateway_findings as (
    select * from intermediate.int_waste__nat_gateway_findings
),

candidates as (
    select * from instance_findings
    union all by name
    select * from volume_findings
    union all by name
    select * from snapshot_findings
    union all by name
    select * from network_findings
    union all by name
    select * from rds_findings
    union all by name
    select * from log_group_findings
    union all by name
    select * from nat_gateway_findings
),

precedence as (
    select * from (values
        ('stopped_instance', 1),
        ('unattached_volume', 2),
        ('orphaned_snapshot', 3),
        ('old_snapshot', 4),
        ('gp2_volume', 5)
    ) as precedence (category, precedence)
),

ranked as (
    select
        candidates.*,
        coalesce(precedence.precedence, 9)                          as precedence
    from candidates
    left join precedence
        on precedence.category = candidates.category
),

coverage as (
    select
        account_id,
        region,
        category                                                    as covering_category,
        resource_id                                                 as covering_resource_id,
        precedence                                                  as covering_precedence,
        unnest(includes_resource_ids)                               as covered_resource_id
    from ranked
),

folded as (
    -- each finding another, higher-precedence finding already contains, with the one that contains it
    select
        ranked.category,
        ranked.account_id,
        ranked.region,
        ranked.resource_id,
        arg_min(coverage.covering_category, coverage.covering_precedence) as folded_into_category,
        arg_min(coverage.covering_resource_id, coverage.covering_precedence) as folded_into_resource_id
    from ranked
    join coverage
        on coverage.account_id = ranked.account_id
       and coverage.region = ranked.region
       and coverage.covered_resource_id = ranked.resource_id
       and coverage.covering_precedence < ranked.precedence
    group by all
),

also_matches as (
    select
        folded_into_category                                        as category,
        account_id,
        region,
        folded_into_resource_id                                     as resource_id,
        list(distinct folded.category order by folded.category)     as also_matches
    from folded
    group by all
),

final as (
    select
        ranked.category,
        ranked.account_id,
        ranked.region,
        ranked.resource_type,
        ranked.resource_id,
        ranked.resource_arn,
        ranked.resource_name,
        ranked.team_tag,
        ranked.wasteful_since,
        ranked.detail,
        ranked.cost_lines,
        coalesce(also_matches.also_matches, cast([] as varchar[]))  as also_matches,
        ranked.includes_resource_ids,
        ranked.is_stale,
        ranked.observed_on,
        ranked.as_of_date
    from ranked
    left join folded
        on folded.category = ranked.category
       and folded.account_id = ranked.account_id
       and folded.region = ranked.region
       and folded.resource_id = ranked.resource_id
    left join also_matches
        on also_matches.category = ranked.category
       and also_matches.account_id = ranked.account_id
       and also_matches.region = ranked.region
       and also_matches.resource_id = ranked.resource_id
    where folded.resource_id is null
)

select * from final
