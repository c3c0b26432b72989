"""Login through django-allauth as configured for Marktplatz."""

import re

from django.core import mail

from marktplatz.accounts.models import Role
from marktplatz.testing import factories
from marktplatz.testing.factories import TEST_PASSWORD


def test_it_signs_up_a_citizen_of_the_town_and_asks_to_verify(client, town_a):
    response = client.post(
        "/altdorf/accounts/signup/",
        {"email": "Erna@Example.org", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["erna@example.org"]
    role = Role.objects.get(user__email="erna@example.org")
    assert (role.city, role.kind) == (town_a, "citizen")
    # Unverified: the start page is not reachable yet.
    assert not client.get("/altdorf/me/").wsgi_request.user.is_authenticated


def test_it_shows_form_errors_in_the_users_language(client, town_a):
    client.cookies["mp_language"] = "de"
    response = client.post(
        "/altdorf/accounts/signup/",
        {"email": "not-an-address", "password1": "x", "password2": "y"},
    )
    assert response.status_code == 200
    assert "Bitte gültige E-Mail-Adresse eingeben." in response.content.decode()


def test_it_logs_in_with_password(client, dave):
    response = client.post(
        "/altdorf/accounts/login/", {"login": "dave@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/altdorf/"
    assert client.get("/altdorf/").context["user"] == dave


def test_it_locks_out_after_repeated_failures(client, dave):
    for _ in range(5):
        response = client.post(
            "/altdorf/accounts/login/", {"login": "dave@example.org", "password": "wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        "/altdorf/accounts/login/", {"login": "dave@example.org", "password": TEST_PASSWORD}
    )
    # Even the right password is refused while the address is locked.
    assert response.status_code in {200, 429}
    assert not response.wsgi_request.user.is_authenticated


def test_it_logs_a_citizen_in_with_an_emailed_code(client, dave):
    response = client.post("/altdorf/accounts/login/code/", {"email": "dave@example.org"})
    assert response.status_code == 302
    body = mail.outbox[-1].body
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", body, re.MULTILINE).group(1)
    response = client.post(response.headers["Location"], {"code": code})
    assert response.status_code == 302
    assert client.get("/altdorf/").context["user"] == dave


def test_it_asks_for_the_second_factor_after_the_password(client, alice):
    response = client.post(
        "/altdorf/accounts/login/", {"login": "alice@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert "/accounts/2fa/authenticate/" in response.headers["Location"]
    assert not client.get("/altdorf/").context["user"].is_authenticated
    response = client.post("/altdorf/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    response = client.post("/altdorf/accounts/2fa/authenticate/", {"code": factories.totp_code()})
    assert response.status_code == 302
    assert client.get("/altdorf/").context["user"] == alice


def test_it_forces_totp_setup_on_roles_that_need_it(client, town_a, shop_a):
    owner = factories.user("olga@example.org")
    Role.objects.create(city=town_a, user=owner, kind="merchant_owner", merchant=shop_a)
    client.force_login(owner)
    response = client.get(f"/altdorf/merchant/{shop_a.code}/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/altdorf/accounts/2fa/totp/activate/")
    # Setting it up (after confirming the password) and logging out stay reachable.
    response = client.get("/altdorf/accounts/2fa/totp/activate/")
    assert response.headers["Location"].startswith("/altdorf/accounts/reauthenticate/")
    assert client.get(response.headers["Location"]).status_code == 200
    response = client.post(
        response.headers["Location"], {"password": factories.TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/altdorf/accounts/2fa/totp/activate/"
    assert response.status_code == 200


def test_it_does_not_force_totp_on_citizens(client, dave):
    client.force_login(dave)
    assert client.get("/altdorf/").status_code == 200


def test_it_sends_the_admin_login_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/admin/"


def test_it_names_the_town_in_account_emails(client, dave):
    client.post("/altdorf/accounts/login/code/", {"email": "dave@example.org"})
    message = mail.outbox[-1]
    assert message.subject.startswith("[Altdorf] ")
    assert "Altdorf" in message.body
    assert "testserver" not in message.body


def test_it_records_setting_up_the_second_factor(
    client, town_a, shop_a, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from marktplatz.audit.models import AuditEvent

    owner = factories.user("olga@example.org")
    Role.objects.create(city=town_a, user=owner, kind="merchant_owner", merchant=shop_a)
    login = client.post(
        "/altdorf/accounts/login/", {"login": "olga@example.org", "password": TEST_PASSWORD}
    )
    assert login.status_code == 302
    # allauth asks for the password once more before a second factor is added.
    client.post("/altdorf/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    page = client.get("/altdorf/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    import time

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/altdorf/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    events = AuditEvent.objects.filter(action="account.mfa_added")
    assert sorted(e.data["type"] for e in events) == ["recovery_codes", "totp"]
    assert {(e.city, e.actor_email) for e in events} == {(town_a, "olga@example.org")}
    # Now the owner's pages open.
    assert client.get(f"/altdorf/merchant/{shop_a.code}/").status_code == 200


def test_it_resets_a_forgotten_password_by_email(client, dave):
    response = client.post("/altdorf/accounts/password/reset/", {"email": "dave@example.org"})
    assert response.status_code == 302
    link = re.search(
        r"http://testserver(/altdorf/accounts/password/reset/key/\S+)", mail.outbox[-1].body
    )
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new_password = "a brand new passphrase 42"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    dave.refresh_from_db()
    assert dave.check_password(new_password)
