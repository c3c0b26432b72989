"""Changing merchants and employers. Every change is audit-logged in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

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
)


def _mail_people(
    *, city: Any, emails: list[str], subject: str, template: str, context: dict
) -> None:
    if not emails:
        return
    with translation.override(city.default_language):
        send_mail_on_commit(
            subject=str(subject), body=render_to_string(template, context), to=emails
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
            subject=_("New business waiting for approval: %(name)s") % {"name": merchant.name},
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


def merchant_approve(*, merchant: Merchant, actor: Any, url: str) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        merchant.status = Merchant.Status.APPROVED
        merchant.is_active = True
        merchant.rejection_reason = ""
        merchant.save(update_fields=["status", "is_active", "rejection_reason"])
        audit_record(city=merchant.city, actor=actor, action="merchant.approved", obj=merchant)
        _mail_people(
            city=merchant.city,
            emails=_owner_emails(merchant),
            subject=_("%(name)s is approved") % {"name": merchant.name},
            template="merchants/email/approved.txt",
            context={"merchant": merchant, "city": merchant.city, "url": url},
        )
    return merchant


def merchant_reject(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        merchant.status = Merchant.Status.REJECTED
        merchant.is_active = False
        merchant.rejection_reason = reason
        merchant.save(update_fields=["status", "is_active", "rejection_reason"])
        audit_record(
            city=merchant.city,
            actor=actor,
            action="merchant.rejected",
            obj=merchant,
            data={"reason": reason},
        )
        _mail_people(
            city=merchant.city,
            emails=_owner_emails(merchant),
            subject=_("Your registration of %(name)s") % {"name": merchant.name},
            template="merchants/email/rejected.txt",
            context={"merchant": merchant, "city": merchant.city, "reason": reason},
        )
    return merchant


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


def employer_create(*, city: Any, actor: Any, name: str, contact_email: str = "") -> Employer:
    with transaction.atomic():
        employer = Employer.objects.create(city=city, name=name, contact_email=contact_email)
        audit_record(city=city, actor=actor, action="employer.created", obj=employer)
    return employer
