"""Telling Apple devices that a city card pass changed, so that the balance stays current.

Apple's protocol for passes: the server sends an empty push notification over HTTP/2 to
APNs for each registered device (``POST /3/device/<push token>``, topic = the pass type
identifier), authenticated with the Pass Type ID certificate; the device then asks the
pass web service (``views.apple_updated`` / ``apple_latest``) for the new pass. APNs
answers 410 for a token that is no longer valid: its registrations are removed.
"""

from __future__ import annotations

import logging
import ssl

import certifi
import httpx
from django.conf import settings
from django.db import transaction
from django_tasks import task

from marktplatz.wallet.models import DeviceRegistration
from marktplatz.wallet.passes import apple_configured

logger = logging.getLogger(__name__)


def _client() -> httpx.Client:
    context = ssl.create_default_context(cafile=settings.WALLET_APPLE_APNS_CA or certifi.where())
    context.load_cert_chain(
        settings.WALLET_APPLE_CERT,
        settings.WALLET_APPLE_KEY,
        settings.WALLET_APPLE_KEY_PASSWORD or None,
    )
    return httpx.Client(http2=True, verify=context, timeout=10)


def apns_notify(push_tokens: list[str]) -> dict[str, int]:
    """One empty notification per token; returns APNs' status per token."""
    answers: dict[str, int] = {}
    with _client() as client:
        for token in push_tokens:
            try:
                response = client.post(
                    f"{settings.WALLET_APPLE_APNS_URL}/3/device/{token}",
                    headers={"apns-topic": settings.WALLET_APPLE_PASS_TYPE_ID},
                    content=b"{}",
                )
                answers[token] = response.status_code
            except httpx.HTTPError as error:
                logger.warning("APNs push failed: %s", error)
                answers[token] = 0
    gone = [token for token, status in answers.items() if status == 410]
    if gone:
        DeviceRegistration.objects.filter(push_token__in=gone).delete()
    return answers


@task()
def wallet_push(card_ids: list[int]) -> dict[str, int]:
    tokens = sorted(
        set(
            DeviceRegistration.objects.filter(wallet_pass__card_id__in=card_ids).values_list(
                "push_token", flat=True
            )
        )
    )
    return apns_notify(tokens) if tokens else {}


def on_booking_created(sender, booking, **kwargs) -> None:
    """After a booking: push to the devices holding a pass of the member's cards."""
    if not apple_configured():
        return
    card_ids = list(
        DeviceRegistration.objects.filter(wallet_pass__card__member_id=booking.member_id)
        .values_list("wallet_pass__card_id", flat=True)
        .distinct()
    )
    if card_ids:
        transaction.on_commit(lambda: wallet_push.enqueue(card_ids))
