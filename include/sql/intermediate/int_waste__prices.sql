-- materialized: table
-- The dated list-price table (include/config/seeds/prices.csv): one row per price key, region and
-- effective date, with the date the next row for the same key and region takes over (valid_to, exclusive;
-- null: still current). A price applies to a day d when valid_from <= d < valid_to. A key and region with
-- no row has no price: the marts show null and price_known = false, never 0.
with prices as (
    select * from seed_prices
),

typed as (
    select
        cast(service as varchar)                                    as service,
        cast(price_key as varchar)                                  as price_key,
        cast(region as varchar)                                     as region,
        cast(unit as varchar)                                       as unit,
        cast(usd as double)                                         as usd,
        cast(effective_date as date)                                as valid_from,
        cast(source as varchar)                                     as source,
        cast(note as varchar)                                       as note
    from prices
    where price_key is not null and usd is not null
),

final as (
    select
        *,
        lead(valid_from) over (partition by price_key, region order by valid_from) as valid_to
    from typed
)

select * from final
