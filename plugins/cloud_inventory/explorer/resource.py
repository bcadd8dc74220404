"""A resource's page: key fields, configuration, tags, history, changes, metrics, related resources, waste, freshness."""
from __future__ import annotations

from cloud_inventory.explorer.common import routers

api, pages = routers("resource")
