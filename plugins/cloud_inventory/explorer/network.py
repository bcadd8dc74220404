"""Security groups open to the world, and subnets by free addresses."""
from __future__ import annotations

from cloud_inventory.explorer.common import routers

api, pages = routers("network")
