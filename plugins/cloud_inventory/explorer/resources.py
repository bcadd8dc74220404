"""Resources: one table per resource type, filtered, sorted, paged, as CSV."""
from __future__ import annotations

from cloud_inventory.explorer.common import routers

api, pages = routers("resources")
