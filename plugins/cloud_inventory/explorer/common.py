"""What every area of the explorer shares: the warehouse of the moment, bounded parameters, the templates."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from cloud_inventory import settings as inventory_settings
from cloud_inventory.explorer.auth import reader
from cloud_inventory.explorer.warehouse import Warehouse, warehouse_at

HERE = Path(__file__).resolve().parent
MAX_TEXT = 512  # longer than any identifier, ARN or URL people paste
Text = Annotated[str, Query(min_length=1, max_length=MAX_TEXT)]
OptionalText = Annotated[str | None, Query(max_length=MAX_TEXT)]
Limit = Annotated[int, Query(ge=1, le=1000)]

TEMPLATES = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                                   autoescape=True, undefined=jinja2.StrictUndefined))


def routers(tag: str) -> tuple[APIRouter, APIRouter]:
    """An area's two routers, both behind the login: its JSON API (under /api, in the OpenAPI document) and
    its pages (not in it)."""
    return (APIRouter(prefix="/api", tags=[tag], dependencies=[Depends(reader)]),
            APIRouter(dependencies=[Depends(reader)], include_in_schema=False))


def warehouse() -> Warehouse:
    """The warehouse the settings name now (read per request, like every setting)."""
    return warehouse_at(inventory_settings.load().warehouse_path)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the API or the OpenAPI document)."""
    path = request.url.path
    return "/api/" not in path and not path.endswith("/openapi.json") and "text/html" in request.headers.get("accept", "")


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """A page; templates get `page` (the template's name) and `base` (the explorer's path, for links)."""
    base = request.scope.get("root_path", "").rstrip("/")  # where the api-server mounted the explorer
    return TEMPLATES.TemplateResponse(request, template, {"page": template.removesuffix(".html"), "base": base,
                                                         **context})
