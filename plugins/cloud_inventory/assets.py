"""The Airflow Assets the stages hand over with: each DAG schedules on the one before it.

Named, not tied to a URI, so the same DAGs run whether the lake is a folder or on S3.
"""
from airflow.sdk import Asset

LAKE_AWS = Asset(name="cloud_inventory_lake_aws")
LAKE_K8S = Asset(name="cloud_inventory_lake_k8s")
WAREHOUSE = Asset(name="cloud_inventory_warehouse")
LAKE_PRICES = Asset(name="cloud_inventory_lake_prices")
