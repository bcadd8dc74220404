"""The inventory explorer: search, browse, history and cost, as pages and a JSON API inside the Airflow UI.

- `mount.py`: what the Airflow plugin (plugins/inventory_explorer.py) mounts, built on first use;
- `app.py`: the FastAPI app: security headers, errors as {"detail": ...}, the routers, OpenAPI behind login;
- `auth.py`: Airflow's own login (the UI's session cookie or a Bearer token) and the permission checked;
- `warehouse.py`: the DuckDB warehouse, read-only and sandboxed, reopened when a build replaced it;
- `queries/`: parameterised SQL, one module per page, returning plain data;
- `api.py`: the JSON API under /inventory/api/ (a contract, documented in the README);
- `pages.py`, `templates/`, `static/`: the HTML pages (server-rendered, a little plain JavaScript).
"""
