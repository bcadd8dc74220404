"""The explorer in a real browser: Debian's Chromium (headless, driven by Playwright) against the real
`airflow api-server` with the plugin, logged in through Airflow's own login page, reading the demo warehouse.

One api-server (tests/explorer/api_server.py) and one browser for the module; one signed-in browser tab is shared by
the tests, in file order. Every test writes a screenshot of what it saw into a temporary folder (its path is printed
on failure and kept by pytest); with CLOUD_INVENTORY_SCREENSHOTS=<folder> (`make screenshots`: docs/explorer) one PNG
per page is written there too, which the README shows.

"""
from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest

from .api_server import ApiServer
from .conftest import PASSWORDS, USERS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a machine without a display, a sandbox-capable kernel setup or a network beyond loopback
# (.library's "Known to work"); Playwright adds --headless and a fresh --user-data-dir of its own per launch.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 860}
SCREENSHOTS_TO = os.environ.get("CLOUD_INVENTORY_SCREENSHOTS")  # `make screenshots`: docs/explorer

if not Path(CHROMIUM).exists():
    pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}): `make test` installs it with apt when run as root, "
                "as CI does; otherwise `apt-get install chromium`", allow_module_level=True)
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - requirements.txt pins it
    pytest.skip("the playwright package is not installed in this venv (requirements.txt pins it: `make venv`)",
                allow_module_level=True)

PROD_APP_2_IP = "10.10.32.4"  # moto hands out a subnet's addresses in order: prod-app-2 is the first in prod-app-b
SHOP = "www.shop.example.com"  # Route 53 alias -> prod-web-alb, and the shop's ingress host on prod-eks


def answered(response, route: str) -> None:
    assert response.status == 200, f"{route}: {response.status} {response.text()[:500]}"


@pytest.fixture(scope="module")
def server(airflow_db, demo_world, demo_warehouse, tmp_path_factory):
    with ApiServer(tmp_path_factory.mktemp("api-server"), airflow_db / "airflow.db", demo_warehouse, USERS,
                   PASSWORDS, extra_env={"INVENTORY_LAKE_URI": demo_world["lake"].uri}) as running:
        yield running


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    """Shoots PNGs: shoot(page, name) writes <tmp>/<name>.png, and <CLOUD_INVENTORY_SCREENSHOTS>/<name>.png if set
    (one per page: `docs=False` for a second look at a page)."""
    folder = tmp_path_factory.mktemp("explorer-screenshots")

    def shoot(page, name: str, docs: bool = True) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        if SCREENSHOTS_TO and docs:
            Path(SCREENSHOTS_TO).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, Path(SCREENSHOTS_TO) / path.name)
        return path

    shoot.folder = folder
    return shoot


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Tab:
    """A browser tab that keeps the errors its pages report (console errors, CSP violations, uncaught exceptions)."""

    def __init__(self, page):
        self.page, self.errors = page, []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def open(self, path: str):
        """Go to `path`; the response. `errors` then holds only what this page reported."""
        self.errors.clear()
        response = self.page.goto(path)
        self.page.wait_for_load_state("load")
        return response


@pytest.fixture(scope="module")
def signed_in(browser, server) -> Tab:
    """A tab of a viewer who logged in through Airflow's login page (the simple auth manager's form), having asked
    for the explorer first: Airflow's login sends the browser back there."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT, accept_downloads=True)
    tab = Tab(context.new_page())
    tab.page.set_default_timeout(30_000)
    tab.open("/inventory/")
    assert "/auth/login" in tab.page.url, f"not sent to Airflow's login: {tab.page.url}"
    tab.page.get_by_label("Username").fill("viewer")
    tab.page.get_by_label("Password").fill(PASSWORDS["viewer"])
    tab.page.get_by_role("button", name="Sign in").click()
    tab.page.wait_for_url(f"{server.url}/inventory/")
    yield tab
    context.close()


def row_with(page, first: str, *texts: str):
    """The one table row whose first cell holds `first` (a search result's type and name, not its hops) and whose
    cells hold every other text."""
    rows = page.get_by_role("row").filter(has=page.locator("td:first-child", has_text=first))
    for text in texts:
        rows = rows.filter(has_text=text)
    expect(rows).to_have_count(1)
    return rows


# -- search (area: search) ------------------------------------------------------------------------------------------

def test_login_lands_on_the_search_page_and_airflows_navigation_opens_the_explorer(signed_in, server, screenshots):
    page = signed_in.page
    assert "_token" in {cookie["name"] for cookie in page.context.cookies()}  # the UI's session: the explorer's login
    expect(page.locator("input[name=q]")).to_be_visible()
    assert signed_in.errors == []

    page.goto("/")  # Airflow's UI: its navigation has the plugin's "Inventory" entry (external_views)
    page.get_by_test_id("nav-sidebar").get_by_role("link", name="Inventory").click()  # the home page also lists *_inventory assets
    page.wait_for_url("**/plugin/inventory**")
    explorer = page.frame_locator("iframe")
    search_box = explorer.locator("input[name=q]")
    search_box.fill(SHOP)
    search_box.press("Enter")
    expect(explorer.get_by_role("row").filter(has_text="route53_record")).to_have_count(1)
    screenshots(page, "airflow-navigation")


def test_search_an_ip_finds_the_instance_and_its_network_interface(signed_in, screenshots):
    page = signed_in.page
    signed_in.open("/inventory/")
    page.locator("input[name=q]").fill(PROD_APP_2_IP)
    page.locator("input[name=q]").press("Enter")
    instance = row_with(page, "ec2_instance", "prod-app-2")
    expect(instance).to_contain_text("private_ip")
    expect(instance).to_contain_text("111111111111")
    row_with(page, "network_interface", "private_ip")
    assert signed_in.errors == []
    screenshots(page, "search-ip", docs=False)


def test_search_a_dns_name_resolves_it_to_the_load_balancer(signed_in, screenshots):
    page = signed_in.page
    signed_in.open("/inventory/")
    page.locator("input[name=q]").fill(f"https://{SHOP}/cart")
    page.locator("input[name=q]").press("Enter")
    expect(row_with(page, "route53_record", "www.shop.example.com")).to_contain_text("elbv2_load_balancer")
    row_with(page, "k8s_ingress", "ingress_host")
    assert signed_in.errors == []
    screenshots(page, "search")


# -- the resource page (area: resource) -----------------------------------------------------------------------------

def test_open_the_resource_from_search_and_see_its_history_and_the_resize(signed_in, demo_world, screenshots):
    page = signed_in.page
    found = page.request.get(f"/inventory/api/search?q={PROD_APP_2_IP}").json()["matches"]
    instance = next(m for m in found if m["resource_type"] == "ec2_instance")
    route = (f"/inventory/resources/ec2_instance/{instance['account_id']}/{instance['region']}/"
             f"{instance['resource_id']}")
    answered(page.request.get(route), route)

    signed_in.open(f"/inventory/?q={PROD_APP_2_IP}")
    link = row_with(page, "ec2_instance", "prod-app-2").locator(f"a[href$='{route}']")
    expect(link, "the search result links to the resource page").to_have_count(1)
    link.click()
    page.wait_for_url(f"**{route}")
    body = page.locator("body")
    expect(body).to_contain_text("prod-app-2")
    # its history: the resize of day 2 (estate.seed day 1), field by field, with the snapshot date it was seen on
    expect(body).to_contain_text("instance_type")
    expect(body).to_contain_text("m5.large")
    expect(body).to_contain_text("m5.xlarge")
    expect(body).to_contain_text(demo_world["days"][1].isoformat())
    assert signed_in.errors == []
    screenshots(page, "resource")


# -- waste and its CSV (area: waste) --------------------------------------------------------------------------------

def test_waste_shows_the_findings_and_downloads_them_as_csv(signed_in, demo_warehouse, screenshots, tmp_path):
    import duckdb

    page = signed_in.page
    answered(signed_in.open("/inventory/waste"), "/inventory/waste")
    expect(page.locator("body")).to_contain_text("prod-reporting-old")
    assert signed_in.errors == []
    screenshots(page, "waste")

    with page.expect_download() as downloading:
        page.locator("a[href*='csv']").first.click()
    download = downloading.value
    saved = tmp_path / (download.suggested_filename or "waste.csv")
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    with duckdb.connect(str(demo_warehouse), read_only=True) as warehouse:
        findings = warehouse.execute("select count(*) from marts.waste").fetchone()[0]
    assert len(rows) == findings, f"{len(rows)} rows in {saved.name}, {findings} findings in marts.waste"
    stopped = [row for row in rows if "prod-reporting-old" in row.values()]
    assert len(stopped) == 1 and "stopped_instance" in stopped[0].values(), stopped


# -- every other page, once -----------------------------------------------------------------------------------------

PAGES = [  # (screenshot, area, route, a text the demo estate puts on it)
    ("resources", "resources", "/inventory/resources?resource_type=ec2_instance", "prod-app-2"),
    ("security-groups", "network", "/inventory/security-groups", "dev-open-all"),
    ("subnets", "network", "/inventory/subnets", "prod-app-b"),
    ("kubernetes", "kubernetes", "/inventory/kubernetes", "prod-eks"),
    ("freshness", "freshness", "/inventory/freshness", "333333333333"),
]


@pytest.mark.parametrize("name, area, route, shows", PAGES, ids=[page[0] for page in PAGES])
def test_each_page_opens_with_its_demo_data_and_no_error(signed_in, screenshots, name, area, route, shows):
    page = signed_in.page
    response = signed_in.open(route)
    answered(response, route)
    assert "default-src 'none'" in response.headers["content-security-policy"]
    expect(page.locator("body")).to_contain_text(shows)
    # its entry in the explorer's navigation is marked (base.html marks the page named like the area's template)
    expect(page.locator("nav.top a[aria-current=page]"), f"{route}: no current entry in the navigation").to_have_count(1)
    assert signed_in.errors == [], f"{route} reported errors (a CSP violation is one): {signed_in.errors}"
    screenshots(page, name)
