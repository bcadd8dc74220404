"""The inventory explorer, an Airflow plugin: the explorer's app at /inventory on the api-server, and "Inventory"
in the UI's navigation. Its code lives in cloud_inventory.explorer (README: The inventory explorer).

Airflow imports this file in every component; the app is built on its first request, so nothing but the
api-server pays for FastAPI's routes, the templates or DuckDB.
"""
from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from cloud_inventory.explorer.mount import PREFIX, LazyExplorer


class InventoryExplorerPlugin(AirflowPlugin):
    name = "inventory_explorer"
    fastapi_apps = [{"app": LazyExplorer(), "url_prefix": PREFIX, "name": "Inventory explorer"}]
    external_views = [{"name": "Inventory", "href": f"{PREFIX}/", "destination": "nav", "url_route": "inventory",
                       "icon": f"{PREFIX}/static/icon.svg"}]
