-- Every EC2 instance snapshot (staging.stg_aws__ec2_instances) with its on-demand price key's parts: the one
-- place the rule is written. Read by the waste findings (int_waste__instance_findings), the rightsizing subjects
-- (int_rightsizing__subjects) and, over the lake's recent snapshots, pricing/needs.py (the keys aws_prices asks
-- the Price List API for), so the keys asked are the keys looked up.
--   price_variant  the key's operating-system part: 'windows', 'linux' (Linux/UNIX or no PlatformDetails), else
--                  PlatformDetails lowercased with dashes ('red-hat-enterprise-linux', 'windows-with-sql-server-
--                  standard', ...); then ':' || InstanceLifecycle (spot, scheduled) and ':' || tenancy when it is
--                  not default (dedicated, host)
--   price_key      'ec2:' || instance_type || ':' || price_variant
with instances as (
    select * from staging.stg_aws__ec2_instances
),

variants as (
    select
        *,
        case
            when lower(platform) = 'windows' then 'windows'
            when platform_details is null or platform_details = 'Linux/UNIX' then 'linux'
            else lower(replace(platform_details, ' ', '-'))
        end
        || case when instance_lifecycle is not null then ':' || instance_lifecycle else '' end
        || case when coalesce(tenancy, 'default') <> 'default' then ':' || tenancy else '' end
                                                                    as price_variant
    from instances
),

final as (
    select
        *,
        'ec2:' || instance_type || ':' || price_variant             as price_key
    from variants
)

select * from final
