import re

from django.core import mail

from marktplatz.accounts.models import Invitation, Role
from marktplatz.audit.models import AuditEvent
from marktplatz.testing import factories
from marktplatz.testing.smtp import smtp_server


def _link(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_it_invites_a_cashier_who_accepts(client, bob, shop_a, django_capture_on_commit_callbacks):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/altdorf/merchant/{shop_a.code}/staff/invite/",
            {"email": "Kim@Example.org", "kind": "merchant_cashier"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "kim@example.org"
    link = _link(mail.outbox[-1])
    assert link.startswith("/altdorf/invitations/accept/")
    # The token is not stored, only its hash.
    assert link.rstrip("/").rsplit("/", 1)[1] not in invitation.token_hash

    kim = factories.user("kim@example.org")
    client.force_login(kim)
    response = client.post(link)
    assert response.status_code == 302
    role = Role.objects.get(user=kim)
    assert (role.kind, role.merchant) == ("merchant_cashier", shop_a)
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1
    # A second use of the link changes nothing.
    client.post(link)
    assert Role.objects.filter(user=kim).count() == 1


def test_it_refuses_an_invitation_for_another_address(
    client, bob, shop_a, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/altdorf/merchant/{shop_a.code}/staff/invite/",
            {"email": "kim@example.org", "kind": "merchant_cashier"},
        )
    link = _link(mail.outbox[-1])
    client.force_login(factories.user("mallory@example.org"))
    response = client.post(link)
    assert response.status_code == 200
    assert "kim@example.org" in response.content.decode()
    assert not Role.objects.filter(user__email="mallory@example.org").exists()


def test_it_does_not_let_a_cashier_invite(client, carol, shop_a):
    client.force_login(carol)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/staff/invite/",
        {"email": "kim@example.org", "kind": "merchant_owner"},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_it_lets_only_an_owner_hand_out_ownership(client, town_a, shop_a):
    manager = factories.person("mia@example.org", town_a, "merchant_manager", merchant=shop_a)
    client.force_login(manager)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/staff/invite/",
        {"email": "kim@example.org", "kind": "merchant_owner"},
    )
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_it_invites_city_staff_to_a_department(client, alice, town_a):
    roads = factories.department(city=town_a, name="Roads")
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/staff/invite/", {"email": "rita@example.org", "kind": "city_staff"}
    )
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    response = client.post(
        "/altdorf/operator/staff/invite/",
        {"email": "rita@example.org", "kind": "city_staff", "department": roads.pk},
    )
    assert response.status_code == 302
    assert Invitation.objects.get().department == roads


def test_it_refuses_a_department_of_another_town(client, alice, town_b):
    foreign = factories.department(city=town_b, name="Werkhof")
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/staff/invite/",
        {"email": "rita@example.org", "kind": "city_staff", "department": foreign.pk},
    )
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_it_revokes_a_role_and_records_it(client, bob, carol, shop_a):
    role = Role.objects.get(user=carol)
    client.force_login(bob)
    response = client.post(f"/altdorf/roles/{role.code}/revoke/")
    assert response.status_code == 302
    assert not Role.objects.filter(user=carol).exists()
    event = AuditEvent.objects.get(action="role.revoked")
    assert event.actor_email == "bob@example.org"
    assert event.data == {"user": "carol@example.org", "kind": "merchant_cashier"}


def test_it_sends_invitations_over_real_smtp(
    client, bob, shop_a, settings, django_capture_on_commit_callbacks
):
    with smtp_server(settings) as received:
        client.force_login(bob)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/altdorf/merchant/{shop_a.code}/staff/invite/",
                {"email": "kim@example.org", "kind": "merchant_cashier"},
            )
        assert response.status_code == 302
    assert len(received) == 1
    assert received[0].rcpt_tos == ["kim@example.org"]
    assert b"/altdorf/invitations/accept/" in received[0].content


def test_every_invitation_form_preselects_the_least_privileged_role(client, alice, bob, shop_a):
    client.force_login(bob)
    form = client.get(f"/altdorf/merchant/{shop_a.code}/staff/invite/").context["form"]
    assert form["kind"].value() == "merchant_cashier"
    assert next(kind for kind, _label in form.fields["kind"].choices) == "merchant_cashier"
    client.force_login(alice)
    form = client.get("/altdorf/operator/staff/invite/").context["form"]
    assert form["kind"].value() == "operator_staff"
    assert "operator_admin" in dict(form.fields["kind"].choices)
    # An operator inviting to a business also starts from the cashier.
    form = client.get(f"/altdorf/merchant/{shop_a.code}/staff/invite/").context["form"]
    assert form["kind"].value() == "merchant_cashier"
    content = client.get(f"/altdorf/merchant/{shop_a.code}/staff/invite/").content.decode()
    assert 'value="merchant_cashier" selected' in content
