"""The till's camera scanner in Chromium: a fake camera shows a card's QR code, and the
till finds the card by itself (Chromium on Linux has no BarcodeDetector of its own, so
this runs the npm package barcode-detector and its WebAssembly from our static files)."""

from __future__ import annotations

from pathlib import Path

import pytest
import segno
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import CHROMIUM, CHROMIUM_ARGS, needs_browser_tools
from marktplatz.loyalty import services

pytestmark = [pytest.mark.browser, needs_browser_tools]

WIDTH, HEIGHT, SCALE = 640, 480, 8


def write_y4m(path: Path, text: str, frames: int = 5) -> None:
    """A short grey-scale YUV4MPEG2 video of ``text``'s QR code, for Chromium's fake camera."""
    rows = [list(row) for row in segno.make_qr(text, error="m").matrix_iter(border=4)]
    size = len(rows) * SCALE
    assert size <= HEIGHT, "QR code too large for the frame"
    top, left = (HEIGHT - size) // 2, (WIDTH - size) // 2
    luma = bytearray([235]) * (WIDTH * HEIGHT)  # white
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(SCALE):
                    start = (top + y * SCALE + dy) * WIDTH + left + x * SCALE
                    luma[start : start + SCALE] = bytes([16]) * SCALE
    chroma = bytes([128]) * (WIDTH * HEIGHT // 2)  # U and V planes, no colour
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma)


@pytest.fixture
def card(town_a, persona):
    citizen = persona("citizen", email="kim@example.org")
    return services.member_for_user(city=town_a, user=citizen).cards.get()


@pytest.fixture
def page(browser, live_server, card, tmp_path):
    """This module's tab: a Chromium whose camera shows the card's QR code."""
    video = tmp_path / "card.y4m"
    write_y4m(video, card.qr_token)
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
        headless=True,
    )
    context = camera.new_context(bypass_csp=True, base_url=live_server.url)
    context.grant_permissions(["camera"], origin=live_server.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
    camera.close()


def test_a_cashier_scans_a_card_with_the_camera(
    page, card, persona, town_a, shop_a, log_in, visit, town_url
):
    cashier = persona("merchant_cashier")
    log_in(town_a, cashier, second_factor=False)
    visit(town_url(town_a, f"merchant/{shop_a.code}/pos/"))
    scan = page.locator("#pos-scan")
    expect(scan).to_be_visible()
    scan.click()
    # The scanner fills in the QR token and sends the form: the purchase step appears.
    expect(page.locator("[name='amount']")).to_be_visible(timeout=30_000)
    assert page.locator("#pos-card-form [name='card']").input_value() == card.qr_token
