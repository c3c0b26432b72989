"""Where the browser tests find their tools, and what happens when they are missing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import OperationalError

from marktplatz.testing import factories
from marktplatz.testing.factories import TEST_TOTP_SECRET

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# As in dev.py: CI=true (or 1, yes) means the browser tests must run, never be skipped.
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE_JS.exists():
        missing.append(f"axe-core at {AXE_JS} (npm ci)")
    if not missing:
        return None
    return "browser tests need " + " and ".join(missing)


MISSING = missing_tools()

# Every test module carries this mark: without the tools the whole module is skipped,
# except in CI (CI=true), where the ``browser`` fixture fails instead.
needs_browser_tools = pytest.mark.skipif(
    MISSING is not None and not IN_CI, reason=MISSING or "browser tools present"
)


def fresh_totp_code(secret: str = TEST_TOTP_SECRET) -> str:
    """The current TOTP code of ``secret``, waiting for the next period if the current one
    would end before the code reaches the server (allauth allows no tolerance)."""
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def db_read(query, seconds: float = 10):
    """``query()``, tried again while SQLite's shared in-memory database is locked by the
    server writing the same table."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return query()
        except OperationalError:
            assert time.monotonic() < deadline, "the database stayed locked"
            time.sleep(0.1)


def db_wait_for(condition, seconds: float = 10) -> None:
    """Wait until ``condition()`` (a database read) holds."""
    deadline = time.monotonic() + seconds
    while not db_read(condition):
        assert time.monotonic() < deadline, "not recorded in time"
        time.sleep(0.2)


def browser_context(browser, base_url: str, user, *, csp: bool = False, **options):
    """A browser context logged in as ``user`` (the session of a real login); with
    ``csp``, the app's Content-Security-Policy applies (axe-core cannot be injected)."""
    client = factories.LoginClient()
    client.force_login(user)
    context = browser.new_context(bypass_csp=not csp, base_url=base_url, **options)
    context.set_default_timeout(15_000)
    host = base_url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host,
          "path": "/"}]
    )  # fmt: skip
    return context
