"""Where the browser tests find their tools, and what happens when they are missing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

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
