"""The warehouse expectations on small crafted DuckDB warehouses: a clean one passes every check; each planted
fault is caught by the check that is for it (each test looks up its own check, so it fails if that expectation
is removed), and no other check fails.

GX costs about a second or two of CPU per run however small the tables (its overhead is per expectation), so
the faults share one warehouse, each in a place only its own check reads: three runs in all."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cloud_inventory.quality.expectations import CheckResult, run_expectations

ACCOUNT = "111111111111"
OTHER = "222222222222"

CLEAN = f"""
create schema staging;
create schema marts;

-- two AWS snapshot dates; the older one was taken two days late (as the demo's replayed days are) and
-- holds a duplicate: neither is in the window the checks read (the latest snapshot_date)
create table staging.stg_aws__ec2_instances (instance_id varchar, resource_id varchar, resource_type varchar,
    account_id varchar, region varchar, tags map(varchar, varchar), state varchar, config_hash varchar,
    snapshot_date date, snapshot_at timestamptz);
insert into staging.stg_aws__ec2_instances values
    ('i-1', 'i-1', 'ec2_instance', '{ACCOUNT}', 'us-east-1', map {{'Name': 'web'}}, 'running', 'h1',
     '2026-11-19', '2026-11-21 09:00:00+00'),
    ('i-1', 'i-1', 'ec2_instance', '{ACCOUNT}', 'us-east-1', map {{}}, 'running', 'h1',
     '2026-11-19', '2026-11-21 09:00:00+00'),
    ('i-1', 'i-1', 'ec2_instance', '{ACCOUNT}', 'us-east-1', map {{}}, 'running', 'h1',
     '2026-11-20', '2026-11-20 00:05:00+00'),
    ('i-2', 'i-2', 'ec2_instance', '{ACCOUNT}', 'eu-west-1', map {{}}, 'stopped', 'h2',
     '2026-11-20', '2026-11-20 23:59:00+00'),
    -- the same id in another account is another resource
    ('i-1', 'i-1', 'ec2_instance', '{OTHER}', 'us-east-1', map {{}}, 'running', 'h3',
     '2026-11-20', '2026-11-21 01:30:00+00');

create table staging.stg_aws__route53_records (record_id varchar, resource_id varchar, account_id varchar,
    region varchar, config_hash varchar, snapshot_date date, snapshot_at timestamptz);
insert into staging.stg_aws__route53_records values
    ('Z1/www.example.com./A', 'Z1/www.example.com./A', '{ACCOUNT}', 'global', 'h', '2026-11-20',
     '2026-11-20 00:10:00+00');

create table staging.stg_aws__ec2_instance_metrics (instance_id varchar, resource_id varchar, account_id varchar,
    region varchar, metric_namespace varchar, metric_name varchar, statistic varchar, metric_date date,
    metric_value double, snapshot_date date, snapshot_at timestamptz);
insert into staging.stg_aws__ec2_instance_metrics values
    ('i-1', 'i-1', '{ACCOUNT}', 'us-east-1', 'AWS/EC2', 'CPUUtilization', 'Average', '2026-11-19', 3.5,
     '2026-11-20', '2026-11-20 00:06:00+00'),
    ('i-1', 'i-1', '{ACCOUNT}', 'us-east-1', 'AWS/EC2', 'CPUUtilization', 'Maximum', '2026-11-19', 9.0,
     '2026-11-20', '2026-11-20 00:06:00+00'),
    ('i-1', 'i-1', '{ACCOUNT}', 'us-east-1', 'AWS/EC2', 'CPUUtilization', 'Average', '2026-11-18', 2.5,
     '2026-11-20', '2026-11-20 00:06:00+00');

-- two clusters; prod-eks dumped twice on the latest day (the earlier dump is outside the window)
create table staging.stg_k8s__pods (pod_uid varchar, resource_id varchar, cluster varchar, account_id varchar,
    region varchar, kind varchar, namespace varchar, name varchar, labels map(varchar, varchar),
    dump_at timestamptz, snapshot_date date, snapshot_at timestamptz);
insert into staging.stg_k8s__pods values
    ('u-1', 'kube-system/coredns', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'Pod', 'kube-system', 'coredns', map {{}},
     '2026-11-20 05:45:00+00', '2026-11-20', '2026-11-20 05:45:00+00'),
    ('u-1', 'kube-system/coredns', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'Pod', 'kube-system', 'coredns', map {{}},
     '2026-11-20 05:45:00+00', '2026-11-20', '2026-11-20 05:45:00+00'),
    ('u-1', 'kube-system/coredns', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'Pod', 'kube-system', 'coredns', map {{}},
     '2026-11-20 06:00:00+00', '2026-11-20', '2026-11-20 06:00:00+00'),
    ('u-2', 'shop/web-1', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'Pod', 'shop', 'web-1', map {{}},
     '2026-11-20 06:00:00+00', '2026-11-20', '2026-11-20 06:00:00+00'),
    ('u-3', 'kube-system/coredns', 'stg-eks', '{OTHER}', 'eu-west-1', 'Pod', 'kube-system', 'coredns', map {{}},
     '2026-11-19 23:59:00+00', '2026-11-19', '2026-11-19 23:59:00+00');

create table staging.stg_k8s__other_objects (object_uid varchar, resource_id varchar, cluster varchar,
    account_id varchar, region varchar, kind varchar, dump_at timestamptz, snapshot_date date,
    snapshot_at timestamptz);
insert into staging.stg_k8s__other_objects values
    ('o-1', 'shop/web', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'HorizontalPodAutoscaler',
     '2026-11-20 06:00:00+00', '2026-11-20', '2026-11-20 06:00:00+00'),
    ('o-2', 'shop/web', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'PodDisruptionBudget',
     '2026-11-20 06:00:00+00', '2026-11-20', '2026-11-20 06:00:00+00');

create table staging.stg_manifest__aws_runs (snapshot_date date, run_id varchar, account_id varchar,
    account_name varchar, region varchar, resource_type varchar, status varchar, row_count bigint,
    started_at timestamptz, finished_at timestamptz);
insert into staging.stg_manifest__aws_runs values
    ('2026-11-19', 'r0', '{ACCOUNT}', 'prod', 'us-east-1', 'ec2_instance', 'ok', 2,
     '2026-11-21 08:59:00+00', '2026-11-21 09:00:00+00'),
    ('2026-11-20', 'r1', '{ACCOUNT}', 'prod', 'us-east-1', 'ec2_instance', 'ok', 1,
     '2026-11-20 00:05:00+00', '2026-11-20 00:06:00+00'),
    ('2026-11-20', 'r1', '{ACCOUNT}', 'prod', 'global', 'route53_record', 'ok', 1,
     '2026-11-20 00:05:00+00', '2026-11-20 00:06:00+00'),
    ('2026-11-20', 'r1', '{OTHER}', 'staging', 'us-east-1', 'ec2_instance', 'denied', 0,
     '2026-11-20 00:05:00+00', '2026-11-20 00:05:01+00');

create table staging.stg_manifest__k8s_dumps (dump_key varchar, cluster varchar, account_id varchar,
    region varchar, status varchar, row_count bigint, dump_at timestamptz, snapshot_date date,
    snapshot_at timestamptz);
insert into staging.stg_manifest__k8s_dumps values
    ('dumps/cluster=prod-eks/dt=2026-11-20/20261120T054500Z.json.gz', 'prod-eks', '{ACCOUNT}', 'us-east-1',
     'ok', 3, '2026-11-20 05:45:00+00', '2026-11-20', '2026-11-20 05:45:00+00'),
    ('dumps/cluster=prod-eks/dt=2026-11-20/20261120T060000Z.json.gz', 'prod-eks', '{ACCOUNT}', 'us-east-1',
     'ok', 2, '2026-11-20 06:00:00+00', '2026-11-20', '2026-11-20 06:00:00+00'),
    ('dumps/cluster=prod-eks/broken.json.gz', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'quarantined', 0,
     null, null, null),
    ('dumps/cluster=stg-eks/dt=2026-11-19/20261119T235900Z.json.gz', 'stg-eks', '{OTHER}', 'eu-west-1',
     'ok', 1, '2026-11-19 23:59:00+00', '2026-11-19', '2026-11-19 23:59:00+00');

create table marts.inventory_current (provider varchar, account_id varchar, region varchar, cluster varchar,
    resource_type varchar, resource_id varchar, name varchar);
insert into marts.inventory_current values
    ('aws', '{ACCOUNT}', 'us-east-1', null, 'ec2_instance', 'i-1', 'web'),
    ('aws', '{OTHER}', 'us-east-1', null, 'ec2_instance', 'i-1', null),
    ('aws', '{ACCOUNT}', 'global', null, 'route53_record', 'Z1/www.example.com./A', 'www.example.com.'),
    ('kubernetes', '{ACCOUNT}', 'us-east-1', 'prod-eks', 'k8s_pod', 'prod-eks/shop/web-1', 'web-1');

create table marts.inventory_history (account_id varchar, region varchar, resource_type varchar,
    resource_id varchar, version_number integer);
insert into marts.inventory_history values
    ('{ACCOUNT}', 'us-east-1', 'ec2_instance', 'i-1', 1), ('{ACCOUNT}', 'us-east-1', 'ec2_instance', 'i-1', 2);

create table marts.resource_changes (account_id varchar, region varchar, resource_type varchar,
    resource_id varchar, field varchar, change_kind varchar);
insert into marts.resource_changes values
    ('{ACCOUNT}', 'us-east-1', 'ec2_instance', 'i-1', 'instance_type', 'modified'),
    ('{ACCOUNT}', 'us-east-1', 'ec2_instance', 'i-3', null, 'created');

create table marts.waste (category varchar, account_id varchar, region varchar, resource_type varchar,
    resource_id varchar, est_monthly_usd decimal(12, 2), price_known boolean);
insert into marts.waste values
    ('stopped_instance', '{ACCOUNT}', 'eu-west-1', 'ec2_instance', 'i-2', 12.34, true),
    ('unattached_volume', '{ACCOUNT}', 'us-east-1', 'ebs_volume', 'vol-1', 0.00, true),
    ('idle_load_balancer', '{ACCOUNT}', 'us-east-1', 'elbv2_load_balancer', 'app/lb/1', null, false);

create table marts.waste_summary (account_id varchar, category varchar, row_kind varchar,
    est_monthly_usd decimal(14, 2), est_annual_usd decimal(14, 2));
insert into marts.waste_summary values
    ('{ACCOUNT}', 'stopped_instance', 'account_category', 12.34, 148.08),
    ('{ACCOUNT}', 'TOTAL', 'account_total', 12.34, 148.08),
    ('ALL', 'stopped_instance', 'category_total', 12.34, 148.08),
    ('ALL', 'TOTAL', 'grand_total', 12.34, 148.08);

create table marts.resource_lookup (identifier varchar, identifier_kind varchar, account_id varchar,
    region varchar, resource_id varchar);
insert into marts.resource_lookup values ('10.0.0.5', 'private_ip', '{ACCOUNT}', 'us-east-1', 'i-1');

create table marts.subnet_utilization (level varchar, account_id varchar, region varchar, vpc_id varchar,
    subnet_id varchar, percent_used decimal(5, 2));
insert into marts.subnet_utilization values
    ('subnet', '{ACCOUNT}', 'us-east-1', 'vpc-1', 'subnet-1', 72.73),
    ('subnet', '{ACCOUNT}', 'us-east-1', 'vpc-1', 'subnet-2', 100.00),
    ('subnet', '{ACCOUNT}', 'us-east-1', 'vpc-1', 'subnet-3', null),
    ('vpc', '{ACCOUNT}', 'us-east-1', 'vpc-1', null, 0.00);

create table marts.security_group_open_ingress (account_id varchar, region varchar, security_group_id varchar,
    cidr varchar);
insert into marts.security_group_open_ingress values ('{ACCOUNT}', 'us-east-1', 'sg-1', '0.0.0.0/0'),
    ('{ACCOUNT}', 'us-east-1', 'sg-1', '::/0');

create table marts.k8s_unhealthy (cluster varchar, account_id varchar, region varchar, namespace varchar,
    name varchar, problem varchar);
insert into marts.k8s_unhealthy values ('prod-eks', '{ACCOUNT}', 'us-east-1', 'shop', 'web-1', 'crash_looping');

-- a downsize, a proposal without memory data (no saving) and an unpriced one
create table marts.rightsizing (resource_type varchar, account_id varchar, region varchar, resource_id varchar,
    recommendation varchar, current_type varchar, max_cpu_percent double, current_monthly_usd decimal(12, 2),
    proposed_monthly_usd decimal(12, 2), monthly_saving_usd decimal(12, 2));
insert into marts.rightsizing values
    ('ec2_instance', '{ACCOUNT}', 'us-east-1', 'i-1', 'downsize', 'm5.2xlarge', 21.5, 280.32, 140.16, 140.16),
    ('rds_instance', '{ACCOUNT}', 'eu-west-1', 'orders-db', 'needs memory data', 'db.t3.medium', 0.0, 52.56, null,
     null),
    ('eks_nodegroup', '{OTHER}', 'us-east-1', 'prod-eks/general', 'downsize', 'm5.xlarge', 100.0, null, null, null);

-- the same service spiking on two days, and a log group
create table marts.cost_spikes (spike_kind varchar, account_id varchar, region varchar, resource_type varchar,
    resource_id varchar, spike_date date, day_usd decimal(12, 2), baseline_median_usd decimal(12, 2));
insert into marts.cost_spikes values
    ('service_spend', '{ACCOUNT}', 'global', 'service', 'Amazon CloudWatch', '2026-11-19', 64.30, 4.00),
    ('service_spend', '{ACCOUNT}', 'global', 'service', 'Amazon CloudWatch', '2026-11-20', 80.00, 4.00),
    ('log_ingestion', '{ACCOUNT}', 'us-east-1', 'log_group', '/aws/containerinsights/prod-eks/application',
     '2026-11-20', 60.00, 0.00);

-- a gateway's two days, one without a price
create table marts.nat_gateway_traffic (account_id varchar, region varchar, nat_gateway_id varchar,
    traffic_date date, processed_bytes bigint, processed_usd decimal(14, 4));
insert into marts.nat_gateway_traffic values
    ('{ACCOUNT}', 'us-east-1', 'nat-1', '2026-11-19', 4294967296, 0.1800),
    ('{ACCOUNT}', 'us-east-1', 'nat-1', '2026-11-20', 0, null);
"""

MARTS = ("marts.inventory_current", "marts.inventory_history", "marts.resource_changes", "marts.waste",
         "marts.waste_summary", "marts.resource_lookup", "marts.subnet_utilization",
         "marts.security_group_open_ingress", "marts.k8s_unhealthy", "marts.rightsizing", "marts.cost_spikes",
         "marts.nat_gateway_traffic")

UNIQUE_EC2 = "expect_compound_columns_to_be_unique(account_id, region, resource_id)"
ACCOUNT_REGEX = "expect_column_values_to_match_regex(account_id)"
REGION_SET = "expect_column_values_to_be_in_set(region)"
WINDOW = "expect_column_values_to_be_between(snapshot_at_hours_after_snapshot_date)"

# fault -> (SQL planting it, the check that must catch it, what that check must say)
FAULTS = {
    "duplicated AWS id": (
        f"""insert into staging.stg_aws__ec2_instances values
            ('i-0dup', 'i-0dup', 'ec2_instance', '{ACCOUNT}', 'us-east-1', map {{}}, 'running', 'h', '2026-11-20',
             '2026-11-20 01:00:00+00'),
            ('i-0dup', 'i-0dup', 'ec2_instance', '{ACCOUNT}', 'us-east-1', map {{}}, 'stopped', 'h', '2026-11-20',
             '2026-11-20 01:00:00+00')""",
        ("staging.stg_aws__ec2_instances", UNIQUE_EC2), f"1 duplicate id on 2 rows: {ACCOUNT}/us-east-1/i-0dup"),
    "duplicated object in a cluster's latest dump": (
        f"""insert into staging.stg_k8s__pods values
            ('u-9', 'shop/web-1', 'prod-eks', '{ACCOUNT}', 'us-east-1', 'Pod', 'shop', 'web-1', map {{}},
             '2026-11-20 06:00:00+00', '2026-11-20', '2026-11-20 06:00:00+00')""",
        ("staging.stg_k8s__pods", "expect_compound_columns_to_be_unique(cluster, kind, resource_id)"),
        "1 duplicate id on 2 rows: prod-eks/Pod/shop/web-1"),
    "duplicated statistic": (
        f"""insert into staging.stg_aws__ec2_instance_metrics values
            ('i-1', 'i-1', '{ACCOUNT}', 'us-east-1', 'AWS/EC2', 'CPUUtilization', 'Average', '2026-11-19', 4.0,
             '2026-11-20', '2026-11-20 00:06:00+00')""",
        ("staging.stg_aws__ec2_instance_metrics", "expect_compound_columns_to_be_unique(account_id, region, "
         "resource_id, metric_namespace, metric_name, statistic, metric_date)"),
        f"1 duplicate id on 2 rows: {ACCOUNT}/us-east-1/i-1/AWS/EC2/CPUUtilization/Average/2026-11-19"),
    "account id of 5 digits": (
        "update staging.stg_aws__ec2_instances set account_id = '12345' where resource_id = 'i-2'",
        ("staging.stg_aws__ec2_instances", ACCOUNT_REGEX), "1 unexpected value: '12345'"),
    "account id with letters": (
        "update marts.resource_lookup set account_id = 'abc123456789'",
        ("marts.resource_lookup", ACCOUNT_REGEX), "1 unexpected value: 'abc123456789'"),
    "account ids in a mart": (
        f"""update marts.inventory_current set account_id = case when account_id = '{OTHER}' then '12345'
            else 'abc123456789' end where account_id = '{OTHER}' or resource_type = 'k8s_pod'""",
        ("marts.inventory_current", ACCOUNT_REGEX), "2 unexpected values: '12345', 'abc123456789'"),
    "account id missing": (
        "update staging.stg_k8s__pods set account_id = null where cluster = 'stg-eks'",
        ("staging.stg_k8s__pods", "expect_column_values_to_not_be_null(account_id)"),
        "1 null value: stg-eks/kube-system/coredns"),
    "unknown region": (
        "update staging.stg_manifest__aws_runs set region = 'mars-east-1' where resource_type = 'route53_record'",
        ("staging.stg_manifest__aws_runs", REGION_SET), "1 unexpected value: 'mars-east-1'"),
    "snapshot taken after the run's window": (  # filed under 2026-11-20, taken on the 22nd
        "update staging.stg_aws__ec2_instances set snapshot_at = '2026-11-22 09:00:00+00' where resource_id = 'i-2'",
        ("staging.stg_aws__ec2_instances", WINDOW),
        "1 row outside the window (hours from snapshot_date 00:00 UTC to snapshot_at not in [0, 26]): i-2 at 57 h"),
    "snapshot taken before its date": (
        "update staging.stg_aws__route53_records set snapshot_at = '2026-11-19 23:00:00+00'",
        ("staging.stg_aws__route53_records", WINDOW),
        "1 row outside the window (hours from snapshot_date 00:00 UTC to snapshot_at not in [0, 26]): "
        "Z1/www.example.com./A at -1 h"),
    "dump filed under another day": (
        "update staging.stg_manifest__k8s_dumps set snapshot_at = '2026-11-21 00:00:00+00' where cluster = 'stg-eks'",
        ("staging.stg_manifest__k8s_dumps", WINDOW),
        "1 row outside the window (hours from snapshot_date 00:00 UTC to snapshot_at not in [0, 24)): "
        "stg-eks/dumps/cluster=stg-eks/dt=2026-11-19/20261119T235900Z.json.gz at 48 h"),
    "object dumped at midnight of the next day": (
        "update staging.stg_k8s__other_objects set snapshot_at = '2026-11-21 00:00:00+00' where kind = "
        "'PodDisruptionBudget'",
        ("staging.stg_k8s__other_objects", WINDOW),
        "1 row outside the window (hours from snapshot_date 00:00 UTC to snapshot_at not in [0, 24)): "
        "prod-eks/shop/web at 24 h"),
    "manifest run started days late": (
        f"update staging.stg_manifest__aws_runs set started_at = '2026-11-23 00:00:00+00' "
        f"where snapshot_date = '2026-11-20' and account_id = '{OTHER}'",
        ("staging.stg_manifest__aws_runs", "expect_column_values_to_be_between(started_at_hours_after_snapshot_date)"),
        "1 row outside the window (hours from snapshot_date 00:00 UTC to started_at not in [0, 26]): "
        f"{OTHER}/us-east-1/ec2_instance at 72 h"),
    "negative price": (
        "update marts.waste set est_monthly_usd = -5 where resource_id = 'vol-1'",
        ("marts.waste", "expect_column_values_to_be_between(est_monthly_usd)"),
        "1 unexpected value: -5 (unattached_volume/vol-1)"),
    "negative annual total": (
        "update marts.waste_summary set est_annual_usd = -1 where row_kind = 'grand_total'",
        ("marts.waste_summary", "expect_column_values_to_be_between(est_annual_usd)"),
        "1 unexpected value: -1 (ALL/TOTAL)"),
    "unknown waste category": (
        "update marts.waste set category = 'zombie_instance' where resource_id = 'i-2'",
        ("marts.waste", "expect_column_values_to_be_in_set(category)"), "1 unexpected value: 'zombie_instance'"),
    "subnet more than full": (
        "update marts.subnet_utilization set percent_used = 101 where subnet_id = 'subnet-1'",
        ("marts.subnet_utilization", "expect_column_values_to_be_between(percent_used)"),
        "1 unexpected value: 101 (subnet-1/vpc-1)"),
    "resource twice in rightsizing": (
        f"""insert into marts.rightsizing values
            ('ec2_instance', '{ACCOUNT}', 'us-east-1', 'i-1', 'no smaller size', 'm5.2xlarge', 21.5, 280.32, null,
             null)""",
        ("marts.rightsizing", "expect_compound_columns_to_be_unique(resource_type, account_id, region, resource_id)"),
        f"1 duplicate id on 2 rows: ec2_instance/{ACCOUNT}/us-east-1/i-1"),
    "unknown recommendation": (
        "update marts.rightsizing set recommendation = 'upsize' where resource_id = 'orders-db'",
        ("marts.rightsizing", "expect_column_values_to_be_in_set(recommendation)"), "1 unexpected value: 'upsize'"),
    "smaller size that costs more": (
        "update marts.rightsizing set proposed_monthly_usd = 300.00, monthly_saving_usd = -19.68 "
        "where resource_id = 'i-1' and recommendation = 'downsize'",
        ("marts.rightsizing", "expect_column_values_to_be_between(monthly_saving_usd)"),
        "1 unexpected value: -19.68 (ec2_instance/i-1)"),
    "CPU peak over 100 %": (
        "update marts.rightsizing set max_cpu_percent = 140 where resource_type = 'eks_nodegroup'",
        ("marts.rightsizing", "expect_column_values_to_be_between(max_cpu_percent)"),
        "1 unexpected value: 140 (eks_nodegroup/prod-eks/general)"),
    "negative spike dollars": (
        "update marts.cost_spikes set day_usd = -1 where resource_type = 'log_group'",
        ("marts.cost_spikes", "expect_column_values_to_be_between(day_usd)"),
        "1 unexpected value: -1 (log_ingestion//aws/containerinsights/prod-eks/application/2026-11-20)"),
    "spike twice for one day": (
        "update marts.cost_spikes set spike_date = '2026-11-20' where spike_date = '2026-11-19'",
        ("marts.cost_spikes", "expect_compound_columns_to_be_unique(spike_kind, account_id, region, resource_id, "
         "spike_date)"),
        f"1 duplicate id on 2 rows: service_spend/{ACCOUNT}/global/Amazon CloudWatch/2026-11-20"),
    "unknown spike kind": (
        f"""insert into marts.cost_spikes values
            ('lambda_spend', '{ACCOUNT}', 'global', 'service', 'AWS Lambda', '2026-11-20', 5.00, 1.00)""",
        ("marts.cost_spikes", "expect_column_values_to_be_in_set(spike_kind)"), "1 unexpected value: 'lambda_spend'"),
    "gateway's day twice": (
        f"""insert into marts.nat_gateway_traffic values
            ('{ACCOUNT}', 'us-east-1', 'nat-1', '2026-11-20', 1, 0.0000)""",
        ("marts.nat_gateway_traffic", "expect_compound_columns_to_be_unique(account_id, region, nat_gateway_id, "
         "traffic_date)"),
        f"1 duplicate id on 2 rows: {ACCOUNT}/us-east-1/nat-1/2026-11-20"),
    "resource twice in inventory_current": (
        f"""insert into marts.inventory_current values
            ('aws', '{ACCOUNT}', 'us-east-1', null, 'ec2_instance', 'i-1', 'web (again)')""",
        ("marts.inventory_current", "expect_compound_columns_to_be_unique(resource_type, account_id, region, "
         "resource_id)"),
        f"1 duplicate id on 2 rows: ec2_instance/{ACCOUNT}/us-east-1/i-1"),
}

DEGRADED = (
    "drop table marts.waste_summary",  # not built yet
    "alter table marts.waste drop column est_monthly_usd",  # built without a column a check needs
    "create table staging.stg_misc__things (thing varchar)",  # no id rule fits
    "delete from staging.stg_k8s__other_objects",  # none exist: nothing to fail
)


def warehouse(path: Path, *faults: str) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(CLEAN)
        for fault in faults:
            con.execute(fault)
    return path


def keyed(results: list[CheckResult]) -> dict[tuple[str, str], CheckResult]:
    found = {(r.table, r.check): r for r in results}
    assert len(found) == len(results), "check names are unique per table"
    return found


def failing(results: dict) -> set[tuple[str, str]]:
    return {key for key, r in results.items() if r.status != "pass"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The clean, faulty and degraded warehouses' results; the first two build Data Docs into the same folder."""
    root = tmp_path_factory.mktemp("expectations")
    docs = root / "quality" / "data_docs"
    out = {"docs": docs}
    out["clean"] = keyed(run_expectations(warehouse(root / "clean.duckdb"), docs, "manual__2026-11-20T00:00:00+00:00"))
    out["clean_pages"] = sorted(p.relative_to(docs) for p in (docs / "validations").rglob("*.html"))
    out["clean_index"] = (docs / "index.html").read_text()
    faults = [sql for sql, _, _ in FAULTS.values()]
    out["faulty"] = keyed(run_expectations(warehouse(root / "faulty.duckdb", *faults), docs, "scheduled__2026-11-20"))
    out["degraded"] = keyed(run_expectations(warehouse(root / "degraded.duckdb", *DEGRADED),
                                             root / "other" / "data_docs", "degraded"))
    return out


def test_clean_warehouse_passes_every_check(runs):
    results = runs["clean"]
    assert failing(results) == set(), [r for r in results.values() if r.status != "pass"]
    assert {table for table, _ in results} == {
        "staging.stg_aws__ec2_instances", "staging.stg_aws__route53_records", "staging.stg_aws__ec2_instance_metrics",
        "staging.stg_k8s__pods", "staging.stg_k8s__other_objects", "staging.stg_manifest__aws_runs",
        "staging.stg_manifest__k8s_dumps", *MARTS}
    assert {check for table, check in results if table == "staging.stg_aws__ec2_instances"} == {
        "expect_column_values_to_not_be_null(resource_id)", UNIQUE_EC2, WINDOW,
        "expect_column_values_to_not_be_null(account_id)", ACCOUNT_REGEX, REGION_SET}


def test_staging_is_read_over_the_runs_window_only(runs):
    # the older snapshot date holds a duplicate taken two days late, prod-eks's earlier dump a duplicate,
    # the ledger a quarantined key with no date: none of them is in the window
    results = runs["clean"]
    assert results[("staging.stg_aws__ec2_instances", UNIQUE_EC2)].observed_value == "3 rows, none unexpected"
    assert results[("staging.stg_k8s__pods", "expect_compound_columns_to_be_unique(cluster, kind, resource_id)")
                   ].observed_value == "3 rows, none unexpected"
    assert results[("staging.stg_manifest__k8s_dumps", "expect_compound_columns_to_be_unique(cluster, dump_key)")
                   ].observed_value == "3 rows, none unexpected"
    assert results[("staging.stg_manifest__aws_runs", REGION_SET)].observed_value == "3 rows, none unexpected"


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_is_caught_by_its_check(runs, fault):
    _, key, observed = FAULTS[fault]
    result = runs["faulty"][key]
    assert result.status == "fail"
    assert result.observed_value == observed
    assert runs["clean"][key].status == "pass"


def test_faults_fail_no_other_check(runs):
    assert failing(runs["faulty"]) == {key for _, key, _ in FAULTS.values()}


def test_missing_mart_is_skipped_with_a_reason(runs):
    skipped = {key: r for key, r in runs["degraded"].items() if r.status == "skipped"}
    assert list(skipped) == [("marts.waste_summary", "expectations on marts.waste_summary")]
    assert skipped[("marts.waste_summary", "expectations on marts.waste_summary")].observed_value == \
        "table not in the warehouse"


def test_mart_lacking_a_column_is_an_error_naming_it(runs):
    results = runs["degraded"]
    result = results[("marts.waste", "expect_column_values_to_be_between(est_monthly_usd)")]
    assert result.status == "error"
    assert result.observed_value == "missing column: est_monthly_usd"
    assert results[("marts.waste", "expect_column_values_to_be_in_set(category)")].status == "pass"


def test_staging_table_of_unknown_shape_is_an_error(runs):
    result = runs["degraded"][("staging.stg_misc__things", "ids present and unique")]
    assert result.status == "error"
    assert "thing" in result.details


def test_degraded_warehouse_fails_only_where_degraded(runs):
    # an empty staging table passes: "none exist" is an answer
    assert failing(runs["degraded"]) == {
        ("marts.waste_summary", "expectations on marts.waste_summary"),
        ("marts.waste", "expect_column_values_to_be_between(est_monthly_usd)"),
        ("staging.stg_misc__things", "ids present and unique")}
    assert {r.observed_value for (table, _), r in runs["degraded"].items()
            if table == "staging.stg_k8s__other_objects"} == {"0 rows, none unexpected"}


def test_data_docs_show_the_latest_run_only(runs):
    docs = runs["docs"]
    assert len(runs["clean_pages"]) == 19  # one validation page per table
    assert "marts.waste" in runs["clean_index"] or "marts/waste" in runs["clean_index"]
    pages = sorted(p.relative_to(docs) for p in (docs / "validations").rglob("*.html"))
    assert len(pages) == 19 and not set(pages) & set(runs["clean_pages"])  # replaced whole, nothing left over
    assert all("scheduled__2026-11-20" in str(page) for page in pages)
    assert (docs / "index.html").exists()
    assert sorted(p.name for p in docs.parent.iterdir()) == ["data_docs"]  # no build folders left behind
