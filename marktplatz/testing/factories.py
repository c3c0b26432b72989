"""Test data builders (used by the tests only; no test imports another app's internals)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from marktplatz.accounts.models import TWO_FACTOR_KINDS, Role, User
from marktplatz.cities.models import City, Department
from marktplatz.merchants.models import Employer, Merchant

TEST_PASSWORD = "correct horse battery staple"  # noqa: S105
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105


def city(**fields) -> City:
    fields.setdefault("time_zone", "Europe/Berlin")
    # The operator's register number: e-invoices name the seller by it (BR-CO-26).
    swiss = fields.get("country") == "CH"
    fields.setdefault("registration_id", "CHE-116.281.710" if swiss else "HRB 4711, AG Freiburg")
    return City.objects.create(**fields)


def merchant(*, city: City, name: str, **fields) -> Merchant:
    defaults = {
        "category": "bakery",
        "street": "Marktplatz 1",
        "postcode": "79600",
        "locality": city.name,
        "status": Merchant.Status.APPROVED,
        "is_active": True,
        "opening_hours": {"mon": [["08:00", "18:00"]]},
    }
    defaults.update(fields)
    return Merchant.objects.create(city=city, name=name, **defaults)


def offer(*, city: City, merchant: Merchant | None = None, **fields):
    """A published offer, live from yesterday to in a week, for everybody in town."""
    import datetime as dt

    from django.utils import timezone

    from marktplatz.messenger.models import Offer

    today = timezone.localdate()
    defaults = {
        "title": "Frische Brezeln",
        "text": "Zwei zum Preis von einer.",
        "starts_on": today - dt.timedelta(days=1),
        "ends_on": today + dt.timedelta(days=7),
        "audience": "town",
        "published_at": timezone.now(),
    }
    defaults.update(fields)
    return Offer.objects.create(city=city, merchant=merchant, **defaults)


def department(*, city: City, name: str = "Tiefbau") -> Department:
    return Department.objects.create(city=city, name=name)


def employer(*, city: City, name: str = "Stadtwerke") -> Employer:
    return Employer.objects.create(city=city, name=name)


def user(email: str, *, verified: bool = True, totp: bool = False) -> User:
    account = User.objects.create_user(email, TEST_PASSWORD)
    EmailAddress.objects.create(user=account, email=email, verified=verified, primary=True)
    if totp:
        TOTP.activate(account, TEST_TOTP_SECRET)
    return account


def person(email: str, city: City, kind: str, **target) -> User:
    """An account holding one role; roles that require 2FA get a TOTP authenticator."""
    account = user(email, totp=kind in TWO_FACTOR_KINDS)
    Role.objects.create(city=city, user=account, kind=kind, **target)
    return account


def totp_code(offset: int = 0) -> str:
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(TEST_TOTP_SECRET, counter))


class LoginClient(Client):
    """The test client whose ``force_login`` leaves the session a real login leaves: the
    password step and, for an account with TOTP, the second factor (allauth records both
    in the session; a TOTP account cannot finish logging in without the code).
    ``second_factor=False``: a session that did not pass it (e.g. TOTP set up later)."""

    def force_login(self, user, backend=None, *, second_factor: bool = True):
        import time

        from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
        from allauth.mfa.models import Authenticator

        super().force_login(user, backend)
        records = [{"method": "password", "at": time.time(), "email": user.email}]
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None and second_factor:
            records.append({"method": "mfa", "at": time.time(), "id": totp.pk, "type": "totp"})
        session = self.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = records
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
