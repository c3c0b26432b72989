"""Security events of allauth (password, e-mail, second factor) go into the audit log.

allauth owns these writes, so its signals are the one place to record them; the audit row
names the town of the page where it happened (none on town-less pages).
"""

from __future__ import annotations

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals

from marktplatz.audit.services import audit_record


def _record(action: str, request, user, **data) -> None:
    audit_record(
        city=getattr(request, "city", None),
        actor=user,
        action=action,
        obj=user,
        data={k: str(v) for k, v in data.items()},
    )


def _on_password_changed(sender, request, user, **kwargs):
    _record("account.password_changed", request, user)


def _on_password_reset(sender, request, user, **kwargs):
    _record("account.password_reset", request, user)


def _on_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    _record(
        "account.email_changed",
        request,
        user,
        old=getattr(from_email_address, "email", ""),
        new=getattr(to_email_address, "email", ""),
    )


def _on_authenticator_added(sender, request, user, authenticator, **kwargs):
    _record("account.mfa_added", request, user, type=authenticator.type)


def _on_authenticator_removed(sender, request, user, authenticator, **kwargs):
    _record("account.mfa_removed", request, user, type=authenticator.type)


def connect() -> None:
    account_signals.password_changed.connect(_on_password_changed, dispatch_uid="mp_pw_changed")
    account_signals.password_reset.connect(_on_password_reset, dispatch_uid="mp_pw_reset")
    account_signals.email_changed.connect(_on_email_changed, dispatch_uid="mp_email_changed")
    mfa_signals.authenticator_added.connect(_on_authenticator_added, dispatch_uid="mp_mfa_added")
    mfa_signals.authenticator_removed.connect(
        _on_authenticator_removed, dispatch_uid="mp_mfa_removed"
    )
