-- Every RDS DB instance snapshot (staging.stg_aws__rds_instances) with its on-demand price key's parts: the one
-- place the deployment rule is written. Read by the waste findings (int_waste__rds_findings), the rightsizing
-- subjects (int_rightsizing__subjects) and, over the lake's recent snapshots, pricing/needs.py (the keys
-- aws_prices asks the Price List API for), so the keys asked are the keys looked up.
--   deployment     'cluster-member' (an Aurora member: priced per engine, not by these keys), 'multi-az' or
--                  'single-az'
--   price_variant  engine || ':' || deployment
--   price_key      'rds:' || instance_class || ':' || price_variant
with db_instances as (
    select * from staging.stg_aws__rds_instances
),

deployments as (
    select
        *,
        case
            when db_cluster_id is not null then 'cluster-member'
            when is_multi_az then 'multi-az'
            else 'single-az'
        end                                                         as deployment
    from db_instances
),

variants as (
    select
        *,
        engine || ':' || deployment                                 as price_variant
    from deployments
),

final as (
    select
        *,
        'rds:' || instance_class || ':' || price_variant            as price_key
    from variants
)

select * from final
