-- SageMaker notebook instances (sagemaker:ListNotebookInstances): one row per notebook per snapshot.
with source as (
    select * from lake_aws_sagemaker_notebook
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "InstanceType": "VARCHAR",
            "Url": "VARCHAR",
            "LastModifiedTime": "TIMESTAMPTZ",
            "DefaultCodeRepository": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as notebook_instance_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for notebooks: always empty
        state,  -- Pending, InService, Stopping, Stopped, Failed, Deleting, Updating
        created_at,
        api.InstanceType                                            as instance_type,
        api.Url                                                     as url,
        api.LastModifiedTime                                        as last_modified_at,
        api.DefaultCodeRepository                                   as default_code_repository,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
