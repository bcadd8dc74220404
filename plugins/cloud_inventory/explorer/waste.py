"""Waste: dollars per month and year by account, team, environment, category and region; the findings."""
from __future__ import annotations

from cloud_inventory.explorer.common import routers

api, pages = routers("waste")
