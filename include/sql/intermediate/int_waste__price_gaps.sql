-- Why a price key has no price in a region, as the latest aws_prices run found it: not in the Price List
-- (the product or the whole region is missing), not priceable by list price (spot, Dedicated Hosts, Aurora
-- members, Oracle licences), or the query failed. One row per key and region whose latest answer had no price.
with api_prices as (
    select * from staging.stg_pricing__aws_prices
),

latest as (
    select
        price_key,
        region,
        status,
        reason,
        snapshot_date                                               as asked_on
    from api_prices
    qualify row_number() over (partition by price_key, region order by snapshot_date desc) = 1
),

final as (
    select * from latest
    where status <> 'priced'
)

select * from final
