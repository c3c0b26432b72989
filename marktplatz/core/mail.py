"""Sending e-mail after the surrounding transaction commits (never for rolled-back work)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction


def send_mail_on_commit(
    *, subject: str, body: str, to: list[str], attachments: list[tuple] | None = None
) -> None:
    """``attachments``: (file name, content, MIME type) each."""
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        attachments=attachments or [],
    )
    transaction.on_commit(lambda: message.send(fail_silently=False))
