-- The aws_prices DAG's answers (raw/aws_pricing/prices): one row per price key, region and asking date, with
-- its list price from the Price List API (usd per unit; SKU, effective date, publication date) or, usd null,
-- the status (not_in_price_list, unpriceable, error) and the reason.
with source as (
    select * from lake_pricing_aws
),

renamed as (
    select
        price_key,
        region,
        unit,
        usd,
        status,
        reason,
        service_code,
        sku,
        usagetype,
        offer_term_code,
        rate_code,
        api_unit,
        api_usd,
        description,
        effective_date,
        publication_date,
        price_list_version,
        filters,
        products_matched,
        snapshot_date,
        snapshot_at
    from source
)

select * from renamed
