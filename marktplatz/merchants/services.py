"""Changing merchants and employers. Every change is audit-logged in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from marktplatz.accounts.models import Role, RoleKind
from marktplatz.accounts.services import role_grant
from marktplatz.audit.services import audit_record
from marktplatz.core.mail import send_mail_on_commit
from marktplatz.merchants.models import Employer, Merchant

EDITABLE_FIELDS = (
    "name",
    "category",
    "street",
    "postcode",
    "locality",
    "latitude",
    "longitude",
    "opening_hours",
    "phone",
    "email",
    "website",
    "description",
    "logo",
    "accepting",
    # The payout account: the form locks these without a second factor (bank_details.change).
    "account_holder",
    "iban",
    "bic",
)


def _mail_people(
    *, city: Any, emails: list[str], subject: Any, template: str, context: dict
) -> None:
    """Mail in the town's language; ``subject`` is a lazy text with %(name)s."""
    if not emails:
        return
    with translation.override(city.default_language):
        send_mail_on_commit(
            subject=str(subject) % {"name": context["merchant"].name},
            body=render_to_string(template, context),
            to=emails,
        )


def _operator_admin_emails(city: Any) -> list[str]:
    return list(
        Role.objects.filter(city=city, kind=RoleKind.OPERATOR_ADMIN).values_list(
            "user__email", flat=True
        )
    )


def _owner_emails(merchant: Merchant) -> list[str]:
    return list(
        Role.objects.filter(merchant=merchant, kind=RoleKind.MERCHANT_OWNER).values_list(
            "user__email", flat=True
        )
    )


def merchant_signup(*, city: Any, user: Any, merchant: Merchant, review_url: str) -> Merchant:
    """A business registers itself; it stays pending until the operator approves it.

    ``merchant`` is an unsaved, validated instance; ``user`` becomes its owner.
    """
    with transaction.atomic():
        merchant.city = city
        merchant.status = Merchant.Status.PENDING
        merchant.is_active = False
        merchant.save()
        role_grant(
            city=city, user=user, kind=RoleKind.MERCHANT_OWNER, actor=user, merchant=merchant
        )
        audit_record(city=city, actor=user, action="merchant.signed_up", obj=merchant)
        _mail_people(
            city=city,
            emails=_operator_admin_emails(city),
            subject=gettext_lazy("New business waiting for approval: %(name)s"),
            template="merchants/email/signup_received.txt",
            context={"merchant": merchant, "city": city, "url": review_url},
        )
    return merchant


def merchant_create(*, city: Any, actor: Any, merchant: Merchant) -> Merchant:
    """The operator onboards a business directly: approved and active at once."""
    with transaction.atomic():
        merchant.city = city
        merchant.status = Merchant.Status.APPROVED
        merchant.is_active = True
        merchant.save()
        audit_record(city=city, actor=actor, action="merchant.created", obj=merchant)
    return merchant


def _merchant_decide(
    *,
    merchant: Merchant,
    actor: Any,
    status: str,
    reason: str,
    notice: tuple[str, str],
    context: dict,
) -> Merchant:
    """Approve or reject: lock the row, set the decision, log it, tell the owners."""
    subject, template = notice
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        merchant.status = status
        merchant.is_active = status == Merchant.Status.APPROVED
        merchant.rejection_reason = reason
        merchant.save(update_fields=["status", "is_active", "rejection_reason"])
        audit_record(
            city=merchant.city,
            actor=actor,
            action=f"merchant.{status}",
            obj=merchant,
            data={"reason": reason} if reason else {},
        )
        _mail_people(
            city=merchant.city,
            emails=_owner_emails(merchant),
            subject=subject,
            template=template,
            context={"merchant": merchant, "city": merchant.city, **context},
        )
    return merchant


def merchant_approve(*, merchant: Merchant, actor: Any, url: str) -> Merchant:
    return _merchant_decide(
        merchant=merchant,
        actor=actor,
        status=Merchant.Status.APPROVED,
        reason="",
        notice=(gettext_lazy("%(name)s is approved"), "merchants/email/approved.txt"),
        context={"url": url},
    )


def merchant_reject(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    return _merchant_decide(
        merchant=merchant,
        actor=actor,
        status=Merchant.Status.REJECTED,
        reason=reason,
        notice=(gettext_lazy("Your registration of %(name)s"), "merchants/email/rejected.txt"),
        context={"reason": reason},
    )


def merchant_set_active(*, merchant: Merchant, actor: Any, active: bool) -> Merchant:
    with transaction.atomic():
        merchant.is_active = active
        merchant.full_clean()
        merchant.save(update_fields=["is_active"])
        audit_record(
            city=merchant.city,
            actor=actor,
            action="merchant.activated" if active else "merchant.deactivated",
            obj=merchant,
        )
    return merchant


def merchant_update(*, merchant: Merchant, actor: Any, changed: list[str]) -> Merchant:
    """Save a validated instance; only the profile fields can change this way."""
    fields = [f for f in changed if f in EDITABLE_FIELDS]
    with transaction.atomic():
        merchant.save(update_fields=fields or None)
        audit_record(
            city=merchant.city,
            actor=actor,
            action="merchant.updated",
            obj=merchant,
            data={"fields": fields},
        )
    return merchant


def employer_create(*, city: Any, actor: Any, name: str, **fields: str) -> Employer:
    """``fields``: contact_email, street, postcode, locality (all optional)."""
    with transaction.atomic():
        employer = Employer.objects.create(city=city, name=name, **fields)
        audit_record(city=city, actor=actor, action="employer.created", obj=employer)
    return employer
