"""Search, the home page: one box for an IP, a DNS name or URL, an id, an ARN, a name, a tag, a pod or node name."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from cloud_inventory.explorer.common import MAX_TEXT, Limit, Text, render, routers, warehouse
from cloud_inventory.explorer.queries import search as queries

api, pages = routers("search")


@api.get("/search", summary="Where an IP, DNS name, URL, id, ARN, name or tag is, and what it resolves to")
def search(q: Text, limit: Limit = 50) -> dict:
    with warehouse().cursor() as cursor:
        return queries.search(cursor, q, limit)


@pages.get("/", response_class=HTMLResponse)
def home(request: Request, q: str = "") -> HTMLResponse:
    q = q[:MAX_TEXT]
    result = None
    if q.strip():
        with warehouse().cursor() as cursor:
            result = queries.search(cursor, q, 50)
    return render(request, "search.html", q=q, result=result)
