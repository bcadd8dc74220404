-- Instances managed by Systems Manager (ssm:DescribeInstanceInformation): one row per managed instance per
-- snapshot. EC2 instances keep their instance id (i-...); on-premises servers are mi-....
with source as (
    select * from lake_aws_ssm_managed_instance
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "LastPingDateTime": "TIMESTAMPTZ",
            "AgentVersion": "VARCHAR",
            "IsLatestVersion": "BOOLEAN",
            "PlatformType": "VARCHAR",
            "PlatformName": "VARCHAR",
            "PlatformVersion": "VARCHAR",
            "IPAddress": "VARCHAR",
            "ComputerName": "VARCHAR",
            "ResourceType": "VARCHAR",
            "SourceId": "VARCHAR",
            "AssociationStatus": "VARCHAR"
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as instance_id,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,  -- not captured for managed instances: always empty
        state,  -- PingStatus: Online, ConnectionLost, Inactive
        created_at,  -- RegistrationDate (on-premises instances only)
        api.LastPingDateTime                                        as last_ping_at,
        api.AgentVersion                                            as agent_version,
        api.IsLatestVersion                                         as is_latest_agent,
        api.PlatformType                                            as platform_type,  -- Windows, Linux, MacOS
        api.PlatformName                                            as platform_name,
        api.PlatformVersion                                         as platform_version,
        api.IPAddress                                               as ip_address,
        api.ComputerName                                            as computer_name,
        -- EC2Instance, ManagedInstance
        api.ResourceType                                            as managed_resource_type,
        api.SourceId                                                as source_id,
        api.AssociationStatus                                       as association_status,
        -- leaves out what changes by itself (the agent pings every few minutes)
        md5(json_merge_patch(raw, '{"LastPingDateTime": null, "LastAssociationExecutionDate": null,
                                    "LastSuccessfulAssociationExecutionDate": null}'))
                                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
