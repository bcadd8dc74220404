"""Kubernetes: unhealthy objects by cluster."""
from __future__ import annotations

from cloud_inventory.explorer.common import routers

api, pages = routers("kubernetes")
