"""City cards as Apple Wallet store cards (.pkpass) and Google Wallet loyalty objects.

Both are off unless the installation configures certificates or a service account, and a
town can switch each off in its card programme. Apple: the pass is a ZIP of pass.json,
images, manifest.json (SHA-1 of every file) and a detached PKCS #7 signature of the
manifest made with the pass type certificate (plus Apple's WWDR intermediate). Google: a
"save to wallet" link carrying a JWT signed RS256 with the service account's key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import secrets
import zipfile
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marktplatz.loyalty.cardnumbers import format_number
from marktplatz.loyalty.models import Booking, Card
from marktplatz.loyalty.selectors import member_summary
from marktplatz.loyalty.services import programme_for, redemption_value_minor
from marktplatz.wallet.models import WalletPass


def apple_configured() -> bool:
    return all(
        getattr(settings, name, "")
        for name in (
            "WALLET_APPLE_PASS_TYPE_ID",
            "WALLET_APPLE_TEAM_ID",
            "WALLET_APPLE_CERT",
            "WALLET_APPLE_KEY",
            "WALLET_APPLE_WWDR",
        )
    )


def google_configured() -> bool:
    return bool(settings.WALLET_GOOGLE_ISSUER_ID and settings.WALLET_GOOGLE_SERVICE_ACCOUNT)


def apple_enabled(city: Any) -> bool:
    return apple_configured() and programme_for(city=city).apple_wallet


def google_enabled(city: Any) -> bool:
    return google_configured() and programme_for(city=city).google_wallet


def wallet_pass_for(card: Card, *, language: str | None = None) -> WalletPass:
    """The card's pass; ``language`` (the holder's, when they add it) is kept for the
    device's later updates."""
    existing = WalletPass.objects.filter(card=card).first()
    if existing is None:
        return WalletPass.objects.create(
            city=card.city,
            card=card,
            auth_token=secrets.token_urlsafe(32),
            language=_pass_language(language),
        )
    if language and _pass_language(language) != existing.language:
        existing.language = _pass_language(language)
        existing.save(update_fields=["language"])
    return existing


def _pass_language(language: str | None) -> str:
    code = (language or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def last_updated(card: Card) -> dt.datetime:
    """When what the pass shows last changed: the member's latest booking, or the card."""
    latest = Booking.objects.filter(member=card.member).aggregate(last=Max("created_at"))["last"]
    changed = max(filter(None, [latest, card.created_at]))
    return changed.replace(microsecond=0)


def _hex_to_rgb(color: str) -> str:
    h = color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))


def _icon_png(color: str, size: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(image)
    pad = size // 5
    draw.rectangle([pad, size // 2, size - pad, size - pad], fill="white")
    draw.polygon([(pad, size // 2), (size // 2, pad), (size - pad, size // 2)], fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def apple_pass_json(
    *, card: Card, web_service_url: str, language: str | None = None
) -> dict[str, Any]:
    """pass.json with its labels in the holder's language (``language`` when they add
    the pass, else the one kept from then)."""
    pass_ = wallet_pass_for(card, language=language)
    with translation.override(pass_.language):
        return _apple_pass_json(card=card, pass_=pass_, web_service_url=web_service_url)


def _apple_pass_json(*, card: Card, pass_: WalletPass, web_service_url: str) -> dict[str, Any]:
    city = card.city
    summary = member_summary(member=card.member)
    balance = max(summary["balance"], 0)
    value = redemption_value_minor(city=city, points=balance)
    return {
        "formatVersion": 1,
        "passTypeIdentifier": settings.WALLET_APPLE_PASS_TYPE_ID,
        "serialNumber": card.code,
        "teamIdentifier": settings.WALLET_APPLE_TEAM_ID,
        "organizationName": city.name,
        "description": _("City card of %(town)s") % {"town": city.name},
        "logoText": city.name,
        "foregroundColor": "rgb(255, 255, 255)",
        "labelColor": "rgb(255, 255, 255)",
        "backgroundColor": _hex_to_rgb(city.primary_color),
        "webServiceURL": web_service_url,
        "authenticationToken": pass_.auth_token,
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": card.qr_token,
                "messageEncoding": "iso-8859-1",
                "altText": format_number(card.number),
            }
        ],
        "storeCard": {
            "primaryFields": [
                {
                    "key": "balance",
                    "label": _("Points"),
                    "value": balance,
                    # %@ is Apple's placeholder for the new value.
                    "changeMessage": _("Your balance is now %@ points."),
                }
            ],
            "secondaryFields": [
                {
                    "key": "value",
                    "label": _("Worth"),
                    "value": value / 100,
                    "currencyCode": city.currency,
                }
            ],
            "backFields": [
                {"key": "number", "label": _("Card number"), "value": format_number(card.number)}
            ],
        },
    }


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def sign_manifest(manifest: bytes) -> bytes:
    cert = x509.load_pem_x509_certificate(_read(settings.WALLET_APPLE_CERT))
    password = settings.WALLET_APPLE_KEY_PASSWORD.encode() or None
    key = serialization.load_pem_private_key(_read(settings.WALLET_APPLE_KEY), password=password)
    wwdr = x509.load_pem_x509_certificate(_read(settings.WALLET_APPLE_WWDR))
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(cert, key, hashes.SHA256())
        .add_certificate(wwdr)
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


def apple_pkpass(*, card: Card, web_service_url: str, language: str | None = None) -> bytes:
    color = card.city.primary_color
    files = {
        "pass.json": json.dumps(
            apple_pass_json(card=card, web_service_url=web_service_url, language=language)
        ).encode(),
        "icon.png": _icon_png(color, 29),
        "icon@2x.png": _icon_png(color, 58),
        "logo.png": _icon_png(color, 50),
    }
    manifest = json.dumps(
        {
            name: hashlib.sha1(data, usedforsecurity=False).hexdigest()
            for name, data in files.items()
        }
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest)
        archive.writestr("signature", sign_manifest(manifest))
    return out.getvalue()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def google_save_url(*, card: Card, origin: str) -> str:
    """The "Add to Google Wallet" link: a JWT (RS256) with the card's loyalty object."""
    account = json.loads(_read(settings.WALLET_GOOGLE_SERVICE_ACCOUNT))
    city = card.city
    issuer = settings.WALLET_GOOGLE_ISSUER_ID
    balance = max(member_summary(member=card.member)["balance"], 0)
    claims = {
        "iss": account["client_email"],
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(timezone.now().timestamp()),
        "origins": [origin],
        "payload": {
            "loyaltyObjects": [
                {
                    "id": f"{issuer}.{city.slug}-{card.code}",
                    "classId": f"{issuer}.{city.slug}-citycard",
                    "state": "ACTIVE",
                    "accountId": card.number[-4:],
                    "accountName": format_number(card.number),
                    "barcode": {"type": "QR_CODE", "value": card.qr_token},
                    "loyaltyPoints": {"label": _("Points"), "balance": {"int": balance}},
                }
            ]
        },
    }
    header = {"alg": "RS256", "typ": "JWT", "kid": account.get("private_key_id", "")}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"https://pay.google.com/gp/v/save/{signing_input}.{_b64url(signature)}"
