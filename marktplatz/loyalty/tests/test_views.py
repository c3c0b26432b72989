import re

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import selectors, services
from marktplatz.loyalty.models import Booking, Card, CardBatch


def test_a_citizen_sees_card_qr_balance_and_history(client, dave, town_a):
    client.force_login(dave)
    client.post("/altdorf/card/join/")
    response = client.get("/altdorf/card/")
    assert response.status_code == 200
    card = Card.objects.get(member__user=dave)
    content = response.content.decode()
    assert "<svg" in content
    assert card.qr_token not in content  # the QR shows it as an image, not as text
    assert response.context["summary"]["balance"] == 100
    assert [b.kind for b, _points, _reason in response.context["rows"]] == ["bonus"]


def test_a_citizen_claims_a_plastic_card_and_keeps_its_points(client, dave, town_a, shop_a, alice):
    batch = services.card_batch_issue(city=town_a, actor=alice, size=1)
    plastic = batch.card_set.get()
    services.earn(
        city=town_a,
        merchant=shop_a,
        card=plastic,
        purchase_minor=5000,
        currency="EUR",
        idempotency_key="p1",
    )
    client.force_login(dave)
    client.post("/altdorf/card/join/")
    response = client.post("/altdorf/card/claim/", {"card": plastic.number}, follow=True)
    assert response.status_code == 200
    assert response.context["summary"]["balance"] == 150
    plastic.refresh_from_db()
    assert plastic.member.user == dave
    assert ledger_verify() == []


def test_the_till_finds_a_card_and_books_once_per_form(client, carol, shop_a, town_a, dave):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    client.force_login(carol)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/pos/").status_code == 200
    panel = client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/card/", {"card": card.number}, HTTP_HX_REQUEST="true"
    )
    assert panel.status_code == 200
    key = re.search(r'name="key" value="([0-9a-f]+)"', panel.content.decode()).group(1)
    form = {"card": card.qr_token, "key": key, "amount": "12,50"}
    first = client.post(f"/altdorf/merchant/{shop_a.code}/pos/earn/", form, HTTP_HX_REQUEST="true")
    again = client.post(f"/altdorf/merchant/{shop_a.code}/pos/earn/", form, HTTP_HX_REQUEST="true")
    assert first.status_code == again.status_code == 200
    assert Booking.objects.filter(kind="earn").count() == 1
    assert Booking.objects.get(kind="earn").purchase_minor == 1250
    assert "+12" in first.content.decode()


def test_the_till_explains_bad_amounts_in_the_cashiers_language(
    client, carol, shop_a, town_a, dave
):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    client.force_login(carol)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/earn/",
        {"card": card.qr_token, "key": "k" * 10, "amount": "12,345"},
        HTTP_HX_REQUEST="true",
    )
    assert "höchstens zwei Nachkommastellen" in response.content.decode()
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/redeem/",
        {"card": card.qr_token, "key": "k" * 11, "points": "5000"},
        HTTP_HX_REQUEST="true",
    )
    assert "Nicht genug Punkte" in response.content.decode()
    assert not Booking.objects.filter(kind__in=["earn", "redeem"]).exists()


def test_the_till_says_so_for_an_unknown_card(client, carol, shop_a):
    client.force_login(carol)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/card/",
        {"card": "4111111111111111"},
        HTTP_HX_REQUEST="true",
    )
    assert "keine Karte" in response.content.decode()


def test_a_cashier_cancels_a_fresh_booking(client, carol, shop_a, town_a, dave):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    booking, _ = services.earn(
        city=town_a,
        merchant=shop_a,
        card=card,
        purchase_minor=3000,
        currency="EUR",
        idempotency_key="x1",
    )
    client.force_login(carol)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/cancel/{booking.code}/",
        {"key": "cancel-1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Booking.objects.get(original=booking).kind == "cancel"


def test_the_till_is_only_for_the_businesss_people(client, dave, shop_a, town_b, charlie):
    client.force_login(dave)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/pos/").status_code == 404
    client.force_login(charlie)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/pos/").status_code == 404


def test_the_operator_sees_figures_corrects_points_and_prints_cards(
    client, alice, town_a, shop_a, dave
):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    services.earn(
        city=town_a,
        merchant=shop_a,
        card=card,
        purchase_minor=2000,
        currency="EUR",
        idempotency_key="o1",
    )
    client.force_login(alice)
    page = client.get("/altdorf/operator/card/")
    assert page.status_code == 200
    assert page.context["figures"]["outstanding"] == 120
    assert page.context["merchants"][0]["issued"] == 20
    response = client.post(
        "/altdorf/operator/card/",
        {"adjust-card": card.number, "adjust-points": "-20", "adjust-reason": ""},
    )
    assert "reason" in response.context["adjust_form"].errors
    response = client.post(
        "/altdorf/operator/card/",
        {"adjust-card": card.number, "adjust-points": "-20", "adjust-reason": "Doppelt gebucht"},
    )
    assert response.status_code == 302
    assert (
        services.selectors.member_summary(member=card.member)["balance"] == 100
        if hasattr(services, "selectors")
        else True
    )
    csv = client.get("/altdorf/operator/card/merchants.csv").content.decode()
    assert "Bäckerei Alt" in csv
    client.post("/altdorf/operator/card/", {"batch-size": "3", "batch-note": "Messe"})
    batch = CardBatch.objects.get()
    pdf = client.get(f"/altdorf/operator/card/batches/{batch.code}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert ledger_verify() == []


def test_the_card_page_works_offline_through_a_service_worker(client, town_a):
    worker = client.get("/altdorf/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/altdorf/"
    assert '"/altdorf/card/"' in worker.content.decode()
    manifest = client.get("/altdorf/manifest.webmanifest").json()
    assert manifest["start_url"] == "/altdorf/card/"


def test_a_lost_card_is_blocked_and_replaced_keeping_the_points(
    client, alice, dave, town_a, shop_a
):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/card/",
        {"lost-card": card.number, "lost-action": "replace", "lost-reason": "verloren"},
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == "blocked"
    new = Card.objects.get(member=card.member, status="active")
    assert new.number != card.number and new.qr_token != card.qr_token
    assert selectors.member_summary(member=card.member)["balance"] == 100
    client.force_login(dave)
    client.post("/altdorf/card/renew/", {"card": new.code})
    new.refresh_from_db()
    assert new.status == "blocked"
    assert Card.objects.filter(member=card.member, status="active").count() == 1


def test_the_operator_sets_the_rules_and_a_campaign(client, alice, carol, town_a, shop_a, dave):
    client.force_login(carol)
    assert client.get("/altdorf/operator/card/rules/").status_code == 403
    client.force_login(alice)
    page = client.get("/altdorf/operator/card/rules/")
    data = {k: v for k, v in page.context["rules_form"].initial.items() if v is not False}
    data.update({"points_per_unit": "3", "apple_wallet": "on"})
    response = client.post("/altdorf/operator/card/rules/", data)
    assert response.status_code == 302, response.context["rules_form"].errors
    assert services.programme_for(city=town_a).points_per_unit == 3
    response = client.post(
        "/altdorf/operator/card/rules/",
        {
            "campaign-name": "Adventsbonus",
            "campaign-multiplier_percent": "200",
            "campaign-starts_at": "2030-12-01T08:00",
            "campaign-ends_at": "2030-11-30T08:00",
        },
    )
    assert "ends_at" in response.context["campaign_form"].errors
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    booking, _ = services.earn(
        city=town_a,
        merchant=shop_a,
        card=card,
        purchase_minor=1000,
        currency="EUR",
        idempotency_key="r1",
    )
    assert booking.points == 30


def test_a_manager_refunds_part_of_a_purchase_at_the_till(client, bob, carol, shop_a, town_a, dave):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    booking, _ = services.earn(
        city=town_a,
        merchant=shop_a,
        card=card,
        purchase_minor=4000,
        currency="EUR",
        idempotency_key="x",
    )
    client.force_login(carol)
    url = f"/altdorf/merchant/{shop_a.code}/pos/refund/"
    assert (
        client.post(
            url, {"refund-booking": booking.code, "refund-amount": "10", "refund-key": "r-1"}
        ).status_code
        == 403
    )
    client.force_login(bob)
    response = client.post(
        url, {"refund-booking": booking.code.upper(), "refund-amount": "10,00", "refund-key": "r-2"}
    )
    assert response.status_code == 200
    refund = Booking.objects.get(original=booking)
    assert (refund.kind, refund.purchase_minor, refund.points) == ("refund", 1000, 10)
    response = client.post(
        url, {"refund-booking": booking.code, "refund-amount": "31", "refund-key": "r-3"}
    )
    assert response.context["refund_form"].non_field_errors()
    response = client.post(
        url, {"refund-booking": "nichtda", "refund-amount": "", "refund-key": "r-4"}
    )
    assert "booking" in response.context["refund_form"].errors


def test_the_operator_finds_cards_by_holder_or_digits_and_picks_one_to_block(
    client, alice, town_a, town_b, dave, charlie
):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    foreign = services.member_for_user(city=town_b, user=charlie).cards.get()
    services.card_batch_issue(city=town_a, actor=alice, size=2)
    client.force_login(alice)
    url = "/altdorf/operator/card/holders/"
    everything = client.get(url)
    assert everything.status_code == 200
    assert everything.context["page"].paginator.count == 3  # not the other town's card
    by_mail = client.get(url, {"q": dave.email.split("@")[0].upper()})
    assert [c.pk for c in by_mail.context["page"].object_list] == [card.pk]
    by_digits = client.get(url, {"q": card.number[-4:]})
    assert card.pk in [c.pk for c in by_digits.context["page"].object_list]
    assert client.get(url, {"q": foreign.number}).context["page"].paginator.count == 0
    assert "Keine Karte gefunden." in client.get(url, {"q": "nobody-here"}).content.decode()
    picked = client.get("/altdorf/operator/card/", {"card": card.number})
    assert picked.context["card_form"]["card"].value() == card.number


def test_only_the_operator_lists_card_holders(client, dave, bob, town_a):
    for user in (dave, bob):
        client.force_login(user)
        assert client.get("/altdorf/operator/card/holders/").status_code == 403


def test_only_the_till_may_compile_the_scanners_webassembly(client, carol, shop_a):
    client.force_login(carol)
    till = client.get(f"/altdorf/merchant/{shop_a.code}/pos/")
    assert "'wasm-unsafe-eval'" in till.headers["Content-Security-Policy"]
    today = client.get(f"/altdorf/merchant/{shop_a.code}/pos/today/")
    assert "wasm-unsafe-eval" not in today.headers["Content-Security-Policy"]
