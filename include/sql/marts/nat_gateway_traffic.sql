-- marts.nat_gateway_traffic: what each NAT gateway carried and what its data processing cost, one row per
-- (account, region, gateway, UTC day) its byte statistics know of (each metrics run covers the 14 whole days before
-- it; days accumulate across runs, each taken from the latest snapshot that has it). The bytes and dollars are
-- intermediate.int_waste__nat_gateway_traffic's (processed = BytesInFromSource + BytesInFromDestination, what AWS
-- bills data processing on; BytesOutToDestination: what went out to the internet or other destinations); the
-- gateway's name, VPC, subnet and state are those of the latest snapshot that saw it. A day without a price (or
-- without processed statistics) has a null processed_usd, never 0, and unpriced_reason says which.
-- Documented in docs/data-dictionary/nat_gateway_traffic.md.
with traffic as (
    select * from intermediate.int_waste__nat_gateway_traffic
),

nat_gateways as (
    select * from staging.stg_aws__nat_gateways
),

source_snapshots as (
    select * from intermediate.int_aws__source_snapshots
),

accounts as (
    select * from intermediate.int_inventory__accounts
),

latest_gateways as (
    select
        account_id,
        region,
        nat_gateway_id,
        arg_max(name, snapshot_date)                                as nat_gateway_name,
        arg_max(tags['team'], snapshot_date)                        as team_tag,
        arg_max(connectivity_type, snapshot_date)                   as connectivity_type,
        arg_max(vpc_id, snapshot_date)                              as vpc_id,
        arg_max(subnet_id, snapshot_date)                           as subnet_id,
        arg_max(state, snapshot_date)                               as state,
        max(snapshot_date)                                          as last_seen_date
    from nat_gateways
    group by all
),

metrics_sources as (
    select account_id, source_region as region, is_stale, latest_run_date
    from source_snapshots
    where resource_type = 'nat_gateway_metric'
),

final as (
    select
        traffic.account_id,
        accounts.account_name,
        accounts.environment,
        coalesce(latest_gateways.team_tag, accounts.team)           as team,
        traffic.region,
        traffic.nat_gateway_id,
        latest_gateways.nat_gateway_name,
        coalesce(latest_gateways.connectivity_type, 'public')       as connectivity_type,
        latest_gateways.vpc_id,
        latest_gateways.subnet_id,
        latest_gateways.state,
        latest_gateways.last_seen_date,
        traffic.metric_date                                         as traffic_date,
        cast(traffic.processed_bytes as bigint)                     as processed_bytes,
        round(traffic.processed_bytes / 1024.0 ^ 3, 3)              as processed_gb,
        cast(traffic.bytes_out_to_destination as bigint)            as bytes_out_to_destination,
        round(traffic.bytes_out_to_destination / 1024.0 ^ 3, 3)     as bytes_out_to_destination_gb,
        cast(round(traffic.processed_usd, 4) as decimal(14, 4))     as processed_usd,
        traffic.processed_usd is not null                           as price_known,
        case
            when traffic.processed_bytes is null
                then 'no BytesInFromSource or BytesInFromDestination statistic that day'
            when traffic.processed_usd is null then 'no price for nat:data-processed in ' || traffic.region || ' on '
                                                    || traffic.metric_date
        end                                                         as unpriced_reason,
        coalesce(metrics_sources.is_stale, false)                   as is_stale,
        metrics_sources.latest_run_date                             as as_of_date
    from traffic
    left join latest_gateways
        on latest_gateways.account_id = traffic.account_id
       and latest_gateways.region = traffic.region
       and latest_gateways.nat_gateway_id = traffic.nat_gateway_id
    left join metrics_sources
        on metrics_sources.account_id = traffic.account_id
       and metrics_sources.region = traffic.region
    left join accounts
        on accounts.account_id = traffic.account_id
)

select * from final
