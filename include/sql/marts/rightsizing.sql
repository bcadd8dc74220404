-- marts.rightsizing: over-provisioned EC2 instances, RDS DB instances and EKS managed node groups, one row
-- per resource whose highest CPU over the window stayed under max_cpu_percent (rightsizing_thresholds.csv):
--   downsize           memory also stayed under max_memory_percent: the next smaller size of the same family
--                      the region offers, with the monthly saving (current less proposed on-demand hours);
--   needs memory data  memory was measured on fewer than min_days days (no CloudWatch agent, no
--                      FreeableMemory; or an RDS class's memory is not in the region's catalog): no size is
--                      proposed from CPU alone, no saving;
--   no smaller size    already the family's smallest size in the region (or its type is not in the
--                      region's catalog): nothing to propose.
-- Low CPU with memory at or over max_memory_percent is not a row: that instance is sized by its memory.
-- Prices come from intermediate.int_waste__prices as of the run date; a saving with an unpriced side is null
-- with unpriced_reason saying which key is missing where, never 0. What is left out (already waste, EKS
-- nodes judged by their node group): intermediate.int_rightsizing__subjects.
-- Documented in docs/data-dictionary/rightsizing.md.
with subjects as (
    select * from intermediate.int_rightsizing__subjects
),

instance_types as (
    select * from intermediate.int_rightsizing__instance_types
),

thresholds as (
    select * from intermediate.int_rightsizing__thresholds
),

prices as (
    select * from intermediate.int_waste__prices
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

judged as (
    select
        subjects.*,
        subjects.type_prefix || subjects.catalog_type               as current_type,
        subjects.memory_days >= thresholds.min_days
            and subjects.max_memory_percent is not null             as memory_data,
        instance_types.instance_type is not null                    as is_in_catalog,
        instance_types.vcpus                                        as current_vcpus,
        instance_types.memory_mib / 1024.0                          as current_memory_gib,
        subjects.type_prefix || instance_types.next_smaller_type    as next_smaller_type,
        instance_types.next_smaller_vcpus,
        instance_types.next_smaller_memory_mib / 1024.0             as next_smaller_memory_gib,
        thresholds.max_cpu_percent                                  as cpu_threshold_percent,
        thresholds.max_memory_percent                               as memory_threshold_percent,
        thresholds.window_days,
        thresholds.min_days,
        thresholds.hours_per_month
    from subjects
    cross join thresholds
    left join instance_types
        on instance_types.region = subjects.region
       and instance_types.instance_type = subjects.catalog_type
    where subjects.cpu_days >= thresholds.min_days
      and subjects.max_cpu_percent < thresholds.max_cpu_percent
),

recommended as (
    select
        *,
        case
            when not memory_data then 'needs memory data'
            when next_smaller_type is null then 'no smaller size'
            else 'downsize'
        end                                                         as recommendation
    from judged
    where not memory_data or max_memory_percent < memory_threshold_percent
),

keyed as (
    select
        *,
        case when recommendation = 'downsize' then next_smaller_type end as proposed_type,
        price_service || ':' || current_type || ':' || price_variant as current_price_key,
        case when recommendation = 'downsize'
             then price_service || ':' || next_smaller_type || ':' || price_variant end as proposed_price_key
    from recommended
),

priced as (
    select
        keyed.*,
        current_price.usd * keyed.hours_per_month * keyed.node_count  as current_monthly,
        proposed_price.usd * keyed.hours_per_month * keyed.node_count as proposed_monthly,
        greatest(current_price.valid_from, proposed_price.valid_from) as prices_valid_from
    from keyed
    left join prices as current_price
        on current_price.price_key = keyed.current_price_key
       and current_price.region = keyed.region
       and current_price.unit = 'hour'
       and current_price.valid_from <= keyed.as_of_date
       and (current_price.valid_to is null or keyed.as_of_date < current_price.valid_to)
    left join prices as proposed_price
        on proposed_price.price_key = keyed.proposed_price_key
       and proposed_price.region = keyed.region
       and proposed_price.unit = 'hour'
       and proposed_price.valid_from <= keyed.as_of_date
       and (proposed_price.valid_to is null or keyed.as_of_date < proposed_price.valid_to)
),

final as (
    select
        priced.resource_type,
        priced.account_id,
        accounts.account_name,
        accounts.environment,
        coalesce(priced.team_tag, accounts.team)                    as team,
        priced.region,
        priced.resource_id,
        priced.resource_name,
        priced.resource_arn,
        priced.recommendation,
        priced.current_type,
        priced.proposed_type,
        priced.node_count,
        priced.node_ids,
        priced.current_vcpus,
        cast(round(priced.current_memory_gib, 2) as double)         as current_memory_gib,
        case when priced.proposed_type is not null then priced.next_smaller_vcpus end as proposed_vcpus,
        case when priced.proposed_type is not null then cast(round(priced.next_smaller_memory_gib, 2) as double) end
                                                                    as proposed_memory_gib,
        round(priced.max_cpu_percent, 1)                            as max_cpu_percent,
        priced.cpu_days,
        round(priced.max_memory_percent, 1)                         as max_memory_percent,
        priced.memory_days,
        priced.memory_data,
        priced.memory_metric,
        case priced.recommendation
            when 'downsize' then format(
                '{} -> {}: highest CPU {}% and memory {}% over {} days (under {}% and {}%); {} vCPU {} GiB -> {} vCPU {} GiB{}',
                priced.current_type, priced.proposed_type, round(priced.max_cpu_percent, 1),
                round(priced.max_memory_percent, 1), priced.cpu_days, priced.cpu_threshold_percent,
                priced.memory_threshold_percent, priced.current_vcpus, round(priced.current_memory_gib, 2),
                priced.next_smaller_vcpus, round(priced.next_smaller_memory_gib, 2),
                case when priced.node_count > 1 then format(', {} nodes', priced.node_count) else '' end)
            when 'needs memory data' then format(
                '{}: highest CPU {}% over {} days (under {}%), but {}: memory unknown, no size proposed from CPU alone',
                priced.current_type, round(priced.max_cpu_percent, 1), priced.cpu_days, priced.cpu_threshold_percent,
                case when priced.memory_days < priced.min_days
                     then format('{} measured on {} of the {} days needed', priced.memory_metric, priced.memory_days,
                                 priced.min_days)
                     else format('the memory of {} is not in {}''s instance type catalog', priced.current_type,
                                 priced.region) end)
            else format(
                '{}: highest CPU {}% and memory {}% over {} days, but {}',
                priced.current_type, round(priced.max_cpu_percent, 1), round(priced.max_memory_percent, 1),
                priced.cpu_days,
                case when priced.is_in_catalog
                     then 'it is already the smallest ' || split_part(priced.catalog_type, '.', 1)
                          || ' size ' || priced.region || ' offers'
                     else priced.catalog_type || ' is not in ' || priced.region || '''s instance type catalog' end)
        end                                                         as detail,
        cast(round(priced.current_monthly, 2) as decimal(12, 2))    as current_monthly_usd,
        cast(round(priced.proposed_monthly, 2) as decimal(12, 2))   as proposed_monthly_usd,
        cast(round(priced.current_monthly - priced.proposed_monthly, 2) as decimal(12, 2)) as monthly_saving_usd,
        priced.current_monthly is not null and priced.proposed_monthly is not null as price_known,
        case
            when priced.recommendation = 'needs memory data' then 'memory unknown: no size proposed'
            when priced.recommendation = 'no smaller size' then 'no smaller size to move to'
            when priced.current_monthly is null or priced.proposed_monthly is null then
                'no price for ' || concat_ws(' and ',
                    case when priced.current_monthly is null then priced.current_price_key end,
                    case when priced.proposed_monthly is null then priced.proposed_price_key end)
                || ' in ' || priced.region
        end                                                         as unpriced_reason,
        priced.current_price_key,
        priced.proposed_price_key,
        priced.prices_valid_from,
        priced.window_days,
        priced.is_stale,
        priced.observed_on,
        priced.as_of_date
    from priced
    left join accounts
        on accounts.account_id = priced.account_id
)

select * from final
