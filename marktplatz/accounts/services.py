"""Changing accounts and roles. Every change is audit-logged in the same transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marktplatz.accounts.models import MERCHANT_KINDS, Invitation, Role, RoleKind, User
from marktplatz.accounts.selectors import invitable_kinds, token_hash
from marktplatz.audit.services import audit_record
from marktplatz.core.mail import send_mail_on_commit

INVITATION_VALID_FOR = dt.timedelta(days=14)


def _check_target(*, city: Any, kind: str, merchant: Any, department: Any, employer: Any) -> None:
    """The role's target must fit its kind and belong to the same town."""
    needs = {
        "merchant": kind in MERCHANT_KINDS,
        "department": kind == RoleKind.CITY_STAFF,
        "employer": kind == RoleKind.EMPLOYER_ADMIN,
    }
    given = {"merchant": merchant, "department": department, "employer": employer}
    for field, needed in needs.items():
        target = given[field]
        if needed and target is None:
            raise ValidationError({field: _("This role needs a %(field)s.") % {"field": field}})
        if not needed and target is not None:
            raise ValidationError({field: _("This role takes no %(field)s.") % {"field": field}})
        if target is not None and target.city_id != city.pk:
            raise ValidationError({field: _("This belongs to another town.")})


def role_grant(
    *,
    city: Any,
    user: User,
    kind: str,
    actor: Any,
    merchant: Any = None,
    department: Any = None,
    employer: Any = None,
) -> Role:
    """Give ``user`` a role in ``city``; a role already held is returned unchanged."""
    _check_target(city=city, kind=kind, merchant=merchant, department=department, employer=employer)
    with transaction.atomic():
        existing = Role.objects.filter(
            city=city,
            user=user,
            kind=kind,
            merchant=merchant,
            department=department,
            employer=employer,
        ).first()
        if existing is not None:
            return existing
        if merchant is not None and Role.objects.filter(user=user, merchant=merchant).exists():
            raise ValidationError(_("This person already has a role at this business."))
        try:
            with transaction.atomic():
                role = Role.objects.create(
                    city=city,
                    user=user,
                    kind=kind,
                    merchant=merchant,
                    department=department,
                    employer=employer,
                )
        except IntegrityError:
            raise ValidationError(_("This person already has this role.")) from None
        audit_record(
            city=city,
            actor=actor,
            action="role.granted",
            obj=role,
            data={"user": user.email, "kind": kind},
        )
    return role


def role_revoke(*, role: Role, actor: Any) -> None:
    with transaction.atomic():
        audit_record(
            city=role.city,
            actor=actor,
            action="role.revoked",
            obj=role,
            data={"user": role.user.email, "kind": role.kind},
        )
        role.delete()


def citizen_join(*, city: Any, user: User) -> Role:
    """Make a signed-up person a citizen member of the town (idempotent)."""
    return role_grant(city=city, user=user, kind=RoleKind.CITIZEN, actor=user)


def invitation_create(
    *,
    city: Any,
    actor: Any,
    email: str,
    kind: str,
    merchant: Any = None,
    department: Any = None,
    employer: Any = None,
    accept_url_for: Any,
) -> Invitation:
    """Invite ``email`` to a role and e-mail the link once the transaction commits.

    ``accept_url_for(token)`` builds the absolute link; the token is never stored.
    Raises PermissionDenied if ``actor`` may not hand out this role.
    """
    if kind not in invitable_kinds(user=actor, merchant=merchant):
        raise PermissionDenied(_("You may not invite people to this role."))
    _check_target(city=city, kind=kind, merchant=merchant, department=department, employer=employer)
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            city=city,
            email=email,
            kind=kind,
            merchant=merchant,
            department=department,
            employer=employer,
            token_hash=token_hash(token),
            invited_by=actor,
            expires_at=timezone.now() + INVITATION_VALID_FOR,
        )
        audit_record(
            city=city, actor=actor, action="invitation.created", obj=invitation, data={"kind": kind}
        )
        with translation.override(city.default_language):
            context = {"invitation": invitation, "city": city, "url": accept_url_for(token)}
            send_mail_on_commit(
                subject=_("Invitation to %(town)s on Marktplatz") % {"town": city.name},
                body=render_to_string("accounts/email/invitation.txt", context),
                to=[email],
            )
    return invitation


def invitation_accept(*, invitation: Invitation, user: User) -> Role:
    """Take the invited role. The account's verified e-mail must match the invitation."""
    from allauth.account.models import EmailAddress

    if not invitation.is_open:
        raise ValidationError(_("This invitation is no longer valid."))
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists()
    if not verified:
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            raise ValidationError(_("This invitation is no longer valid."))
        role = role_grant(
            city=locked.city,
            user=user,
            kind=locked.kind,
            actor=user,
            merchant=locked.merchant,
            department=locked.department,
            employer=locked.employer,
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(city=locked.city, actor=user, action="invitation.accepted", obj=locked)
    return role


def invitation_revoke(*, invitation: Invitation, actor: Any) -> None:
    if invitation.kind not in invitable_kinds(user=actor, merchant=invitation.merchant):
        raise PermissionDenied(_("You may not revoke this invitation."))
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(city=invitation.city, actor=actor, action="invitation.revoked", obj=invitation)
