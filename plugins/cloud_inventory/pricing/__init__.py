"""List prices from AWS's Price List Query API (boto3 `pricing`), for what the inventory holds.

catalog.py: price key -> the get_products query that prices it (or why it cannot be priced);
parse.py: a PriceList entry (a JSON string) -> the on-demand price; needs.py: the price keys the lake's
recent snapshots call for; dataset.py: the lake's prices dataset. The aws_prices DAG's work is
pipeline/aws_prices.py.
"""
