"""Search, the home page: one box for an IP, a DNS name or URL, an id, an ARN, a name, a tag, a pod or node name."""
from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from cloud_inventory.explorer.common import MAX_TEXT, Limit, Text, render, routers, warehouse
from cloud_inventory.explorer.queries import search as queries

api, pages = routers("search")

PAGE_MATCHES = 50


def mount_path(request: Request) -> str:
    """Where the api-server mounted the explorer (for links), as `render` gives templates `base`."""
    return request.scope.get("root_path", "").rstrip("/")


@api.get("/search", summary="Where an IP, DNS name, URL, id, ARN, name, tag, pod or node is, and what it resolves to")
def search(request: Request, q: Text, limit: Limit = 50,
           complete: Annotated[bool, Query(description="also the names and identifiers that start with q, after "
                                                       "the exact matches (as you type)")] = False) -> dict:
    """Every resource `q` names (at most `limit`), best first: exact identifiers (ids, ARNs, addresses, DNS
    names, record names), then exact names (Name tags, service names, Kubernetes object names, tags
    `key=value`), then names and identifiers starting with `q` (from its second character). Each match has its
    account's labels, what it matched on and `via`, the path from it to what answers (alias -> load balancer ->
    target groups -> instances; Elastic IP -> instance; ingress host -> load balancer; pod -> node -> instance).
    Names and identifiers that only start with `q` come after the exact matches with `complete=true`, else only
    when nothing matches exactly."""
    with warehouse().cursor() as cursor:
        return queries.search(cursor, q, limit, mount_path(request), complete=complete)


@pages.get("/", response_class=HTMLResponse)
def home(request: Request, q: str = "") -> HTMLResponse:
    """The search page; with `q`, its matches (the form works without JavaScript)."""
    too_long = len(q) > MAX_TEXT
    result = None
    if q.strip() and not too_long:
        with warehouse().cursor() as cursor:
            result = queries.search(cursor, q, PAGE_MATCHES, mount_path(request))
    page = render(request, "search.html", q=q[:MAX_TEXT], result=result, too_long=too_long, max_text=MAX_TEXT)
    if too_long:
        page.status_code = 422
    return page
