"""The writes moved from views into services leave one audit record each, written in the
same transaction (a refused write leaves none)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from marktplatz.audit.models import AuditEvent
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import Campaign, MemberEvent, Reward
from marktplatz.purses.models import Employee
from marktplatz.testing import factories
from marktplatz.vouchers.models import VoucherProduct


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_the_card_rules_and_a_campaign_are_audited(client, alice, town_a):
    client.force_login(alice)
    page = client.get("/altdorf/operator/card/rules/")
    data = {k: v for k, v in page.context["rules_form"].initial.items() if v is not False}
    data["points_per_unit"] = "2"
    assert client.post("/altdorf/operator/card/rules/", data).status_code == 302
    (event,) = events("programme.updated")
    assert event.actor == alice and event.data["fields"] == ["points_per_unit"]
    response = client.post(
        "/altdorf/operator/card/rules/",
        {"campaign-name": "Advent", "campaign-multiplier_percent": "200",
         "campaign-starts_at": "2030-12-01T08:00", "campaign-ends_at": "2030-12-24T18:00"},
    )  # fmt: skip
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    (event,) = events("campaign.created")
    assert (event.object_code, event.data) == (campaign.code, {"multiplier_percent": 200})


def test_a_refused_write_leaves_no_audit_record(alice, town_a):
    # The database refuses a multiplier below 100 %: campaign and record roll back together.
    with pytest.raises(IntegrityError):
        loyalty.campaign_create(
            city=town_a,
            campaign=Campaign(name="Kaputt", multiplier_percent=50,
                              starts_at="2030-01-01T00:00Z", ends_at="2030-01-02T00:00Z"),
            actor=alice,
        )  # fmt: skip
    assert not Campaign.objects.exists()
    assert events("campaign.created") == []


def test_rewards_and_events_are_audited(client, alice, bob, town_a, shop_a):
    client.force_login(bob)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/rewards/",
        {"reward-title": "Kaffee", "reward-points": "30", "reward-per_person_limit": "1",
         "reward-is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    reward = Reward.objects.get()
    (event,) = events("reward.offered")
    assert (event.actor, event.object_code) == (bob, reward.code)
    assert event.data == {"points": 30, "merchant": shop_a.code}
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/rewards/",
        {"event-title": "Stadtführung", "event-starts_at": "2030-05-01T10:00",
         "event-capacity": "20", "event-location": "Rathaus", "event-is_published": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["event_form"].errors
    (event,) = events("event.published")
    assert event.object_code == MemberEvent.objects.get().code


def test_the_money_rules_are_audited_in_one_record(client, alice, town_a):
    client.force_login(alice)
    form = {
        "validity_years": "4", "min_value": "10,00", "max_value": "200,00",
        "points_fee_member": "2,5", "points_fee_other": "4", "voucher_commission_member": "1,5",
        "voucher_commission_other": "3", "monthly_fee_member": "0", "monthly_fee_other": "12,00",
        "benefit_limit": "44,00",
    }  # fmt: skip
    assert client.post("/altdorf/operator/money-rules/", form).status_code == 302
    (event,) = events("money_rules.changed")
    assert event.actor == alice
    assert event.data["validity_years"] == "4"
    assert event.data["points_fee_bp_member"] == "250"
    assert event.data["benefit_limit"] == "4400"


def test_a_voucher_product_is_audited(client, alice, town_a):
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/vouchers/",
        {"product-name": "Stadtgutschein 20", "product-kind": "fixed", "product-value": "20,00",
         "product-colour": "#1d4f91", "product-is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["product_form"].errors
    (event,) = events("voucher_product.created")
    assert event.object_code == VoucherProduct.objects.get().code
    assert event.data == {"name": "Stadtgutschein 20", "value_minor": 2000}


def test_pausing_an_employee_is_audited(client, town_a):
    employer = factories.employer(city=town_a)
    admin = factories.person("eva@example.org", town_a, "employer_admin", employer=employer)
    employee = Employee.objects.create(
        city=town_a, employer=employer, personnel_number="7", first_name="Ida", last_name="Roth",
        email="ida@example.org", monthly_amount_minor=5000,
    )  # fmt: skip
    client.force_login(admin)
    url = f"/altdorf/employer/{employer.code}/employees/{employee.code}/active/"
    assert client.post(url).status_code == 302
    employee.refresh_from_db()
    assert employee.is_active is False
    assert client.post(url).status_code == 302
    employee.refresh_from_db()
    assert employee.is_active is True
    paused, resumed = events("employer.employee_paused"), events("employer.employee_resumed")
    assert [e.object_code for e in paused + resumed] == [employee.code, employee.code]
    assert paused[0].actor == admin
