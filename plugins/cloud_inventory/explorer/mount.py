"""What the Airflow plugin mounts: the explorer's ASGI app, built on its first request (see the plugin file)."""
from __future__ import annotations

import threading
from typing import Any

PREFIX = "/inventory"


class LazyExplorer:
    """An ASGI app that builds the explorer (cloud_inventory.explorer.app.create_app) on its first call."""

    def __init__(self) -> None:
        self._app: Any = None
        self._lock = threading.Lock()

    @property
    def app(self) -> Any:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from cloud_inventory.explorer.app import create_app

                    self._app = create_app()
        return self._app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop: the warehouse opens on demand
            while (await receive())["type"] != "lifespan.shutdown":  # lifespan.startup
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)
