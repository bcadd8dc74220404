"""The explorer's FastAPI app, mounted at /inventory by the Airflow plugin (plugins/inventory_explorer.py).

Every route, the OpenAPI document included, depends on `auth.reader` (Airflow's login). Responses carry a
Content-Security-Policy that allows only this app's own scripts, styles and images (and being framed by the
Airflow UI, same origin); errors are `{"detail": ...}` with a 4xx or 503 status; a page asked for without a
login sends the browser to Airflow's login and back.
"""
from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cloud_inventory.explorer import freshness, kubernetes, network, resource, resources, search, waste
from cloud_inventory.explorer.auth import reader
from cloud_inventory.explorer.common import HERE, wants_html
from cloud_inventory.explorer.warehouse import WarehouseMissing

AREAS = (search, resources, resource, waste, network, kubernetes, freshness)
STATIC = {path.name: path for path in (HERE / "static").iterdir() if path.is_file()}  # served: these files only
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # answers change with every build, and are behind a login
}


def create_app() -> FastAPI:
    app = FastAPI(title="cloud-inventory explorer", version="1",
                  description="Search, browse, history and cost of every inventoried resource (README: The "
                              "inventory explorer). Every route needs Airflow's login: the UI's session, or "
                              "`Authorization: Bearer <token>` from `POST /auth/token`.",
                  openapi_url=None, docs_url=None, redoc_url=None)  # (the OpenAPI route below is behind the login)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(WarehouseMissing)
    async def warehouse_missing(request: Request, error: WarehouseMissing):
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if error.status_code == 401 and wants_html(request):
            from airflow.api_fastapi.app import get_auth_manager

            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")  # (the full path)
            return RedirectResponse(get_auth_manager().get_url_login(next_url=here), status_code=303)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(reader)])
    def openapi() -> dict:
        return app.openapi()

    for area in AREAS:
        app.include_router(area.api)
        app.include_router(area.pages)

    @app.get("/static/{name}", include_in_schema=False, dependencies=[Depends(reader)])
    def static(name: str) -> FileResponse:
        path = STATIC.get(name)
        if path is None:
            raise HTTPException(404, "no such file")
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"))

    return app
