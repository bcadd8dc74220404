-- materialized: table
-- The dated list-price table the marts price with: one row per price key, region, unit and validity period
-- [valid_from, valid_to) (valid_to exclusive; null: still current). A key and region with no row has no
-- price: the marts show null and price_known = false, never 0.
-- Three sources, merged by precedence for each day (highest wins; among equals, the latest effective date):
--   3 'seed_override'  include/config/seeds/price_overrides.csv: explicit offline overrides (negotiated
--                      prices, corrections), which win over the API from their effective_date on
--   2 'price_list_api' the aws_prices DAG's answers (staging.stg_pricing__aws_prices): each product's on-demand
--                      price from its term's effective date; asked again, the latest asking's answer counts
--   1 'seed'           include/config/seeds/prices.csv: the demo's and offline fallback where the API gave nothing
-- price_source says which one each row came from.
with seed as (
    select * from seed_prices
),

overrides as (
    select * from seed_price_overrides
),

api_prices as (
    select * from staging.stg_pricing__aws_prices
),

seeded as (
    -- the two seeds share one header; each row typed once, with its source's precedence
    select
        cast(service as varchar)                                    as service,
        cast(price_key as varchar)                                  as price_key,
        cast(region as varchar)                                     as region,
        cast(unit as varchar)                                       as unit,
        cast(usd as double)                                         as usd,
        cast(effective_date as date)                                as valid_from,
        cast(source as varchar)                                     as source,
        cast(note as varchar)                                       as note,
        price_source,
        precedence
    from (
        select *, 'seed' as price_source, 1 as precedence from seed
        union all by name
        select *, 'seed_override' as price_source, 3 as precedence from overrides
    ) as seeds
    where price_key is not null and usd is not null
),

asked as (
    select
        split_part(price_key, ':', 1)                               as service,
        price_key,
        region,
        unit,
        usd,
        effective_date                                              as valid_from,
        format('AWS Price List API {} SKU {} (price list of {})', service_code, sku,
               strftime(publication_date, '%Y-%m-%d'))              as source,
        description || coalesce(' [' || reason || ']', '')          as note,
        'price_list_api'                                            as price_source,
        2                                                           as precedence,
        sku,
        publication_date                                            as price_list_published_at
    from api_prices
    where status = 'priced' and usd is not null and effective_date is not null
    qualify row_number() over (partition by price_key, region, unit, effective_date
                               order by snapshot_date desc) = 1
),

candidates as (
    select
        *,
        -- how long each source's own row lasts: until that source's next row for the key
        lead(valid_from) over (partition by price_key, region, unit, price_source order by valid_from)
                                                                    as source_valid_to
    from (
        select * from seeded
        union all by name
        select * from asked
    ) as merged
),

segments as (
    select
        price_key,
        region,
        unit,
        valid_from,
        lead(valid_from) over (partition by price_key, region, unit order by valid_from) as valid_to
    from (select distinct price_key, region, unit, valid_from from candidates) as boundaries
),

chosen as (
    select
        candidates.service,
        segments.price_key,
        segments.region,
        segments.unit,
        candidates.usd,
        segments.valid_from,
        segments.valid_to,
        candidates.source,
        candidates.note,
        candidates.price_source,
        candidates.sku,
        candidates.price_list_published_at
    from segments
    inner join candidates
        on candidates.price_key = segments.price_key
       and candidates.region = segments.region
       and candidates.unit = segments.unit
       and candidates.valid_from <= segments.valid_from
       and (candidates.source_valid_to is null or segments.valid_from < candidates.source_valid_to)
    qualify row_number() over (partition by segments.price_key, segments.region, segments.unit, segments.valid_from
                               order by candidates.precedence desc, candidates.valid_from desc) = 1
),

final as (
    select * from chosen
)

select * from final
