"""Webhooks for bookings, signed as Standard Webhooks prescribe, delivered with retries.

Each message carries ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed with the secret's
bytes). A failed delivery (no answer, or not 2xx) is retried after 5 s, 5 min, 30 min,
2 h, 5 h and 10 h, then given up. Receivers must de-duplicate by ``webhook-id``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from marktplatz.api.models import WebhookDelivery, WebhookEndpoint
from marktplatz.core.ids import new_code
from marktplatz.core.memo import remember
from marktplatz.core.tenancy import scopes_disabled

RETRY_DELAYS = [
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
]
TIMEOUT_SECONDS = 10


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def validate_target(url: str) -> None:
    """Refuse addresses the server should not call: plain http and private networks,
    unless the installation allows them (WEBHOOK_ALLOW_HTTP / WEBHOOK_ALLOW_PRIVATE)."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValidationError(_("Enter an https:// address."))
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise ValidationError(_("Webhooks are sent over https only."))
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        raise ValidationError(_("This host name cannot be resolved.")) from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise ValidationError(_("Webhooks cannot be sent to private network addresses."))


def endpoint_create(*, merchant: Any, url: str, actor: Any) -> WebhookEndpoint:
    from marktplatz.audit.services import audit_record

    validate_target(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            city=merchant.city, merchant=merchant, url=url, secret=new_secret()
        )
        audit_record(city=merchant.city, actor=actor, action="webhook.created", obj=endpoint)
    return endpoint


def booking_payload(booking: Any) -> dict[str, Any]:
    return {
        "type": "booking.created",
        "timestamp": timezone.now().isoformat(),
        "data": {
            "id": booking.code,
            "kind": booking.kind,
            "points": booking.points,
            "amount": booking.purchase_minor,
            "currency": booking.city.currency,
            "merchant": booking.merchant.code if booking.merchant_id else None,
            "card_last4": booking.card.number[-4:] if booking.card_id else None,
            "original": booking.original.code if booking.original_id else None,
            "created_at": booking.created_at.isoformat(),
        },
    }


def endpoint_ids(*, merchant: Any) -> list[int]:
    """The merchant's active endpoints, looked up once per booking burst, not per booking."""
    return remember(
        ("webhooks", merchant.pk),
        30,
        lambda: list(
            WebhookEndpoint.objects.filter(merchant_id=merchant.pk, is_active=True).values_list(
                "pk", flat=True
            )
        ),
    )


def emit(*, merchant: Any, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue one delivery per active endpoint of the merchant (after commit)."""
    deliveries = [
        WebhookDelivery.objects.create(
            city=merchant.city,
            endpoint_id=endpoint_id,
            msg_id=f"msg_{new_code(24)}",
            event_type=payload["type"],
            payload=payload,
        )
        for endpoint_id in endpoint_ids(merchant=merchant)
    ]
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver.enqueue(pk))
    return deliveries


@task()
def deliver(delivery_id: int) -> str:
    """One attempt; schedules the next one on failure."""
    with scopes_disabled():
        delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "skipped"
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        request = urllib.request.Request(  # noqa: S310 - validated on creation
            delivery.endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Marktplatz-Webhooks/1",
                "webhook-id": delivery.msg_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(
                    secret=delivery.endpoint.secret,
                    msg_id=delivery.msg_id,
                    timestamp=timestamp,
                    body=body,
                ),
            },
        )
        status, error = None, ""
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            error = str(exc)[:200]
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        elif delivery.attempts > len(RETRY_DELAYS):
            delivery.status = WebhookDelivery.Status.FAILED
        delivery.save(
            update_fields=["attempts", "last_status", "last_error", "status", "delivered_at"]
        )
        if delivery.status == WebhookDelivery.Status.PENDING:
            wait = RETRY_DELAYS[delivery.attempts - 1]
            deliver.using(run_after=timezone.now() + wait).enqueue(delivery.pk)
        return delivery.status


def on_booking_created(sender, booking, **kwargs) -> None:
    if booking.merchant_id and endpoint_ids(merchant=booking.merchant):
        emit(merchant=booking.merchant, payload=booking_payload(booking))
