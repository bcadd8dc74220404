"""Freshness of every source, with links to the failed task and the Great Expectations Data Docs."""
from __future__ import annotations

from cloud_inventory.explorer.common import routers

api, pages = routers("freshness")
