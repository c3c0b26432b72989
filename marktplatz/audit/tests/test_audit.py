import pytest
from django.db import DatabaseError, IntegrityError, transaction

from marktplatz.audit.models import AppendOnlyError, AuditEvent
from marktplatz.audit.services import audit_record


def test_it_records_who_did_what_to_which_object(alice, town_a, shop_a):
    event = audit_record(
        city=town_a, actor=alice, action="merchant.updated", obj=shop_a, data={"x": 1}
    )
    assert event.actor_email == "alice@example.org"
    assert (event.object_type, event.object_code) == ("merchants.merchant", shop_a.code)
    assert event.object_label == "Bäckerei Alt"


def test_it_refuses_changes_in_python(alice, town_a):
    event = audit_record(city=town_a, actor=alice, action="x")
    event.action = "y"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_it_refuses_changes_in_the_database(alice, town_a):
    audit_record(city=town_a, actor=alice, action="x")
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.update(action="forged")
    assert AuditEvent.objects.get().action == "x"


def test_it_lets_operator_admins_browse_and_filter(client, alice, town_a, town_b, shop_a):
    audit_record(city=town_a, actor=alice, action="merchant.approved", obj=shop_a)
    audit_record(city=town_a, actor=alice, action="city.updated", obj=town_a)
    audit_record(city=town_b, actor=None, action="merchant.approved")
    client.force_login(alice)
    response = client.get("/altdorf/operator/audit/?action=merchant.approved")
    events = list(response.context["page"].object_list)
    assert [e.action for e in events] == ["merchant.approved"]
    assert events[0].city == town_a
    response = client.get("/altdorf/operator/audit/?since=2030-01-02&until=2030-01-01")
    assert "until" in response.context["form"].errors


def test_it_answers_htmx_filters_with_the_table_only(client, alice, town_a):
    audit_record(city=town_a, actor=alice, action="city.updated", obj=town_a)
    client.force_login(alice)
    response = client.get("/altdorf/operator/audit/", HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content
    assert b"city.updated" in response.content


@pytest.mark.parametrize("persona", ["bob", "carol", "dave"])
def test_it_keeps_the_log_from_everyone_else(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/altdorf/operator/audit/").status_code == 403


def test_it_logs_changes_of_the_town_settings(client, alice, town_a):
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/settings/",
        {
            "name": "Altdorf am See",
            "default_language": "fr",
            "time_zone": "Europe/Berlin",
            "primary_color": "#224466",
            "accent_color": "#aa2222",
        },
    )
    assert response.status_code == 302
    town_a.refresh_from_db()
    assert (town_a.name, town_a.default_language) == ("Altdorf am See", "fr")
    event = AuditEvent.objects.get(action="city.updated")
    assert set(event.data["fields"]) >= {"name", "default_language", "primary_color"}
