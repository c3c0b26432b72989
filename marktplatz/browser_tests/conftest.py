"""Fixtures of the browser tests: one Chromium per session, a fresh context per test, the
live server on a transactional database, and axe-core run on every page a test visits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache

from marktplatz.accounts.models import MERCHANT_KINDS, RoleKind, User
from marktplatz.browser_tests.tools import (
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MISSING,
    fresh_totp_code,
)
from marktplatz.testing import factories

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
NAVIGATION_TIMEOUT_MS = 15_000

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


# --- Data ------------------------------------------------------------------------------
# The towns and shops come from the root conftest; with the live server in the test,
# pytest-django gives them a transactional database.


@pytest.fixture
def persona(live_server, town_a, shop_a) -> Callable[..., User]:
    """``persona(kind, city=town_a)``: an account holding one role of that kind."""

    def make(kind: str, city=None, email: str | None = None) -> User:
        city = city or town_a
        target: dict = {}
        if kind in MERCHANT_KINDS:
            target["merchant"] = (
                shop_a if city == town_a else factories.merchant(city=city, name="Laden")
            )
        elif kind == RoleKind.CITY_STAFF:
            target["department"] = factories.department(city=city)
        elif kind == RoleKind.EMPLOYER_ADMIN:
            target["employer"] = factories.employer(city=city)
        return factories.person(email or f"{kind}@example.org", city, kind, **target)

    return make


# --- Browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if MISSING:
        # Only reached in CI (elsewhere the modules are skipped): CI must run these tests.
        pytest.fail(f"CI=true but {MISSING}", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio event loop in the test thread; Django's ORM
    # calls in the test code (factories, assertions) would otherwise be refused as
    # "async unsafe". Only while the browser tests run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class AsgiServer:
    """The ASGI application (pages and WebSockets) served by uvicorn in a thread of the
    test process, on the live server's database, as the demo serves it with daphne."""

    def __init__(self) -> None:
        import socket
        import threading

        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from marktplatz.asgi import application

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application), host="127.0.0.1", port=port,
            log_level="warning", ws="websockets", lifespan="off",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def asgi_server(live_server) -> Iterator[AsgiServer]:
    server = AsgiServer()
    yield server
    server.stop()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    # The app sends a strict Content-Security-Policy; bypass it so axe can be injected.
    context = browser.new_context(bypass_csp=True, base_url=live_server.url)
    context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core with the WCAG 2.0/2.1 A and AA rules on the page's document."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_AXE_RUN, WCAG_TAGS)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    at {target}" for target in v["targets"])
    return "\n".join(lines)


@pytest.fixture
def check_a11y() -> Callable:
    """``check_a11y(page)``: no serious or critical WCAG 2.1 AA violation on the page."""

    def check(page) -> None:
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        if violations:  # shown with -s or in the report of a failing test
            print(f"axe-core on {page.url}:\n{format_violations(violations)}")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, (
            f"axe-core found serious/critical violations on {page.url}:\n"
            + format_violations(blocking)
        )

    return check


@pytest.fixture
def visit(page, check_a11y) -> Callable:
    """``visit(url, status=200)``: open ``url`` (absolute or below the live server), assert
    the final response status, check the page with axe-core and return the response."""

    def go(url: str, status: int = 200):
        response = page.goto(url)
        assert response is not None, f"no response for {url}"
        assert response.status == status, f"{url} answered {response.status}, not {status}"
        check_a11y(page)
        return response

    return go


@pytest.fixture
def submit(page, check_a11y) -> Callable:
    """``submit(field_name)``: click the submit button of the form holding that field, wait
    for the next page and check it with axe-core."""

    def send(field_name: str):
        form = page.locator("form", has=page.locator(f"[name='{field_name}']")).last
        button = form.locator("button[type=submit]").first
        with page.expect_navigation():
            button.click()
        check_a11y(page)

    return send


@pytest.fixture
def town_url(live_server) -> Callable[..., str]:
    """``town_url(city, "accounts/login/")``: the absolute URL below the town's prefix."""

    def make(city, path: str = "") -> str:
        return f"{live_server.url}/{city.slug}/{path}"

    return make


@pytest.fixture
def log_in(page, visit, submit, town_url) -> Callable:
    """``log_in(city, user)``: the town's login form, then the second factor (unless
    ``second_factor=False``); the page is left wherever the app sends the user next."""

    def run(city, user: User, *, second_factor: bool = True) -> None:
        visit(town_url(city, "accounts/login/"))
        page.fill("[name='login']", user.email)
        page.fill("[name='password']", factories.TEST_PASSWORD)
        submit("password")
        if second_factor:
            assert "/accounts/2fa/authenticate/" in page.url, page.url
            page.fill("[name='code']", fresh_totp_code())
            submit("code")
            # allauth refuses a code twice in its period: the next login may reuse it.
            cache.clear()

    return run
