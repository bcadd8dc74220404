-- Every AWS resource row of every snapshot, one shape for all resource types: the staging models' common
-- columns (identity, arn, name, tags, state, created_at, config_hash, snapshot date and time).
--
-- The union list: one line per AWS resource staging model, i.e. every staging.stg_aws__* except the
-- measurements and the catalog, which are not resources: the CloudWatch statistics models (ec2_instance_metrics,
-- rds_instance_metrics, log_group_metrics, nat_gateway_metrics), Cost Explorer's ce_service_costs and the
-- instance type catalog (ec2_instance_types).
-- tests/warehouse/test_marts_inventory.py fails when a staging AWS resource model is missing here.
-- `union all by name` lines the branches up by column name (each staging model adds its own typed columns;
-- only the common ones below are read, and DuckDB reads no other column of the staging tables).
-- A global type's rows carry the resource's own region (an S3 bucket's location), not "global".
with unioned as (
    select * from staging.stg_aws__amis
    union all by name select * from staging.stg_aws__classic_load_balancers
    union all by name select * from staging.stg_aws__cloudfront_distributions
    union all by name select * from staging.stg_aws__ebs_snapshots
    union all by name select * from staging.stg_aws__ebs_volumes
    union all by name select * from staging.stg_aws__ec2_instances
    union all by name select * from staging.stg_aws__eks_clusters
    union all by name select * from staging.stg_aws__eks_nodegroups
    union all by name select * from staging.stg_aws__elastic_ips
    union all by name select * from staging.stg_aws__elbv2_load_balancers
    union all by name select * from staging.stg_aws__elbv2_target_groups
    union all by name select * from staging.stg_aws__lambda_functions
    union all by name select * from staging.stg_aws__log_groups
    union all by name select * from staging.stg_aws__nat_gateways
    union all by name select * from staging.stg_aws__network_interfaces
    union all by name select * from staging.stg_aws__rds_clusters
    union all by name select * from staging.stg_aws__rds_instances
    union all by name select * from staging.stg_aws__rds_snapshots
    union all by name select * from staging.stg_aws__redshift_clusters
    union all by name select * from staging.stg_aws__route53_records
    union all by name select * from staging.stg_aws__route53_zones
    union all by name select * from staging.stg_aws__s3_buckets
    union all by name select * from staging.stg_aws__sagemaker_endpoints
    union all by name select * from staging.stg_aws__sagemaker_notebooks
    union all by name select * from staging.stg_aws__security_groups
    union all by name select * from staging.stg_aws__ssm_managed_instances
    union all by name select * from staging.stg_aws__subnets
    union all by name select * from staging.stg_aws__vpcs
),

final as (
    select
        resource_type,
        account_id,
        region,
        resource_id,
        arn,
        name,
        tags,
        state,
        created_at,
        config_hash,
        snapshot_date,
        snapshot_at
    from unioned
)

select * from final
