-- EKS clusters (eks:ListClusters + DescribeCluster): one row per cluster per snapshot.
with source as (
    select * from lake_aws_eks_cluster
),

parsed as (
    select
        *,
        json_transform(raw, '{
            "version": "VARCHAR",
            "platformVersion": "VARCHAR",
            "endpoint": "VARCHAR",
            "roleArn": "VARCHAR",
            "resourcesVpcConfig": {
                "vpcId": "VARCHAR",
                "subnetIds": "VARCHAR[]",
                "securityGroupIds": "VARCHAR[]",
                "clusterSecurityGroupId": "VARCHAR",
                "endpointPublicAccess": "BOOLEAN",
                "endpointPrivateAccess": "BOOLEAN",
                "publicAccessCidrs": "VARCHAR[]"
            },
            "kubernetesNetworkConfig": {"serviceIpv4Cidr": "VARCHAR"},
            "identity": {"oidc": {"issuer": "VARCHAR"}}
        }') as api
    from source
),

renamed as (
    select
        resource_id                                                 as cluster_name,
        resource_id,
        resource_type,
        account_id,
        region,
        arn,
        name,
        tags,
        state,  -- CREATING, ACTIVE, DELETING, FAILED, UPDATING, PENDING
        created_at,
        api.version                                                 as kubernetes_version,
        api.platformVersion                                         as platform_version,
        api.endpoint                                                as endpoint_url,
        api.roleArn                                                 as role_arn,
        api.resourcesVpcConfig.vpcId                                as vpc_id,
        api.resourcesVpcConfig.subnetIds                            as subnet_ids,
        api.resourcesVpcConfig.securityGroupIds                     as security_group_ids,
        api.resourcesVpcConfig.clusterSecurityGroupId               as cluster_security_group_id,
        api.resourcesVpcConfig.endpointPublicAccess                 as has_public_endpoint,
        api.resourcesVpcConfig.endpointPrivateAccess                as has_private_endpoint,
        api.resourcesVpcConfig.publicAccessCidrs                    as public_access_cidrs,
        api.kubernetesNetworkConfig.serviceIpv4Cidr                 as service_ipv4_cidr,
        api.identity.oidc.issuer                                    as oidc_issuer_url,
        md5(raw)                                                    as config_hash,
        snapshot_date,
        snapshot_at
    from parsed
)

select * from renamed
