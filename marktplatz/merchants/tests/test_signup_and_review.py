from django.core import mail

from marktplatz.accounts.models import Role
from marktplatz.audit.models import AuditEvent
from marktplatz.merchants.models import Merchant

FORM = {
    "name": "Velo Huber",
    "category": "sports",
    "street": "Bahnhofstraße 4",
    "postcode": "79600",
    "locality": "Altdorf",
    "accepting": "on",
    "hours_mon": "09:00-12:00, 13:30-18:30",
    "hours_sat": "9.00-14.00",
}


def test_it_registers_a_business_that_waits_for_approval(
    client, dave, alice, django_capture_on_commit_callbacks
):
    client.force_login(dave)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/altdorf/merchants/signup/", FORM)
    assert response.status_code == 302
    merchant = Merchant.objects.get(name="Velo Huber")
    assert (merchant.status, merchant.is_active) == ("pending", False)
    assert merchant.opening_hours["mon"] == [["09:00", "12:00"], ["13:30", "18:30"]]
    assert merchant.opening_hours["sat"] == [["09:00", "14:00"]]
    assert merchant.opening_hours["sun"] == []
    assert Role.objects.get(user=dave, merchant=merchant).kind == "merchant_owner"
    # The operator admins hear of it.
    assert mail.outbox[-1].to == ["alice@example.org"]
    assert f"/altdorf/operator/merchants/{merchant.code}/" in mail.outbox[-1].body


def test_it_explains_bad_opening_hours_and_saves_nothing(client, dave):
    client.force_login(dave)
    response = client.post(
        "/altdorf/merchants/signup/", {**FORM, "hours_tue": "18:00-09:00", "hours_wed": "late"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "hours_tue" in errors
    assert "hours_wed" in errors
    assert not Merchant.objects.exists()
    assert not Role.objects.filter(user=dave, kind="merchant_owner").exists()


def test_it_refuses_a_duplicate_name_with_a_field_error(client, dave, shop_a):
    client.force_login(dave)
    response = client.post("/altdorf/merchants/signup/", {**FORM, "name": shop_a.name})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_it_asks_anonymous_visitors_to_log_in_first(client, town_a):
    response = client.get("/altdorf/merchants/signup/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/altdorf/accounts/login/")


def test_it_lets_the_operator_approve(client, alice, town_a, django_capture_on_commit_callbacks):
    pending = Merchant.objects.create(
        city=town_a, name="Neu", category="toys", street="Weg 1", postcode="1", locality="A"
    )
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/altdorf/operator/merchants/{pending.code}/", {"action": "approve"}
        )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.is_active) == ("approved", True)
    assert AuditEvent.objects.filter(action="merchant.approved", object_code=pending.code).exists()


def test_it_needs_a_reason_to_reject(client, alice, town_a):
    pending = Merchant.objects.create(
        city=town_a, name="Neu", category="toys", street="Weg 1", postcode="1", locality="A"
    )
    client.force_login(alice)
    response = client.post(f"/altdorf/operator/merchants/{pending.code}/", {"action": "reject"})
    assert response.status_code == 200
    assert "reason" in response.context["reject_form"].errors
    response = client.post(
        f"/altdorf/operator/merchants/{pending.code}/",
        {"action": "reject", "reason": "Kein Ladengeschäft in der Stadt"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert pending.rejection_reason == "Kein Ladengeschäft in der Stadt"


def test_it_keeps_merchants_from_the_operator_pages(client, bob, shop_a):
    client.force_login(bob)
    assert client.get("/altdorf/operator/merchants/").status_code == 403
    assert (
        client.post(
            f"/altdorf/operator/merchants/{shop_a.code}/", {"action": "deactivate"}
        ).status_code
        == 403
    )


def test_it_lets_the_owner_edit_but_not_the_cashier(client, bob, carol, shop_a):
    client.force_login(carol)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/").status_code == 200
    assert client.get(f"/altdorf/merchant/{shop_a.code}/edit/").status_code == 403
    client.force_login(bob)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/edit/",
        {**FORM, "name": "Bäckerei Alt & Jung", "website": "baeckerei.example"},
    )
    assert response.status_code == 302
    shop_a.refresh_from_db()
    assert shop_a.name == "Bäckerei Alt & Jung"
    assert shop_a.website == "https://baeckerei.example"
    # A profile edit does not approve or activate anything by itself.
    assert shop_a.status == "approved"
    event = AuditEvent.objects.get(action="merchant.updated")
    assert "name" in event.data["fields"]


def test_it_rejects_coordinates_out_of_range(client, bob, shop_a):
    client.force_login(bob)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/edit/", {**FORM, "latitude": "91", "longitude": "8"}
    )
    assert response.status_code == 200
    assert "latitude" in response.context["form"].errors


def test_it_writes_to_the_owner_in_the_towns_language(
    client, alice, bob, town_a, shop_a, django_capture_on_commit_callbacks
):
    town_a.default_language = "fr"
    town_a.save()
    shop_a.status, shop_a.is_active = "pending", False
    shop_a.save()
    client.cookies["mp_language"] = "en"  # the operator works in English
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/altdorf/operator/merchants/{shop_a.code}/", {"action": "approve"})
    message = mail.outbox[-1]
    assert message.to == ["bob@example.org"]
    assert "Bäckerei Alt" in message.subject
    assert "approuvé" in message.subject + message.body
