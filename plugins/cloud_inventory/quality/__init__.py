"""Data quality over the warehouse: expectations (Great Expectations), freshness and the digest people read."""
