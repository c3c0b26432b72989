import pytest

from marktplatz.api.models import TerminalKey
from marktplatz.api.services import terminal_key_create, terminal_key_revoke
from marktplatz.ledger.models import Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services as loyalty


def test_it_looks_up_a_card_without_revealing_who_holds_it(pos, card):
    response = pos.get(f"/cards/{card.qr_token}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "card": "•••• •••• •••• " + card.number[-4:],
        "status": "active",
        "balance": 100,
        "value": 100,
        "currency": "EUR",
        "can_redeem": True,
        "purse": 0,
    }


def test_it_books_a_purchase_once_however_often_it_is_retried(pos, card):
    body = {"card": card.number, "amount": 4250, "currency": "EUR"}
    first = pos.post("/earn", body, key="till-1-0001")
    assert first.status_code == 201
    assert first.json()["points"] == 42
    assert first.json()["balance"] == 142
    again = pos.post("/earn", body, key="till-1-0001")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    conflict = pos.post("/earn", {**body, "amount": 4251}, key="till-1-0001")
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "idempotency_conflict"
    assert Transfer.objects.filter(reason_code="earn").count() == 1
    assert ledger_verify() == []


def test_it_needs_an_idempotency_key_for_writes(pos, card):
    response = pos.post("/earn", {"card": card.number, "amount": 100, "currency": "EUR"}, key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"amount": 0, "currency": "EUR"}, 422, "bad_amount"),
        ({"amount": -5, "currency": "EUR"}, 422, "bad_amount"),
        ({"amount": 10**10, "currency": "EUR"}, 422, "bad_amount"),
        ({"amount": 12.5, "currency": "EUR"}, 422, "invalid_request"),
        ({"amount": "100", "currency": "EUR"}, 422, "invalid_request"),
        ({"amount": 100, "currency": "CHF"}, 422, "wrong_currency"),
        ({"amount": 100}, 422, "invalid_request"),
    ],
)
def test_it_explains_bad_purchases_and_books_nothing(pos, card, body, status, error):
    response = pos.post("/earn", {"card": card.qr_token, **body})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["message"]
    assert not Transfer.objects.filter(reason_code="earn").exists()


def test_it_answers_in_the_towns_language(pos, card):
    response = pos.post("/earn", {"card": card.qr_token, "amount": 100, "currency": "CHF"})
    assert response.json()["message"] == "Diese Stadt bucht in EUR."


def test_it_refuses_unknown_blocked_and_foreign_cards(pos, card, town_b, charlie):
    assert pos.get("/cards/MPC1-AAAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert pos.get("/cards/1234567812345678").json()["error"] == "card_not_found"
    foreign = loyalty.member_for_user(city=town_b, user=charlie).cards.get()
    assert pos.get(f"/cards/{foreign.qr_token}").status_code == 404
    card.status = "blocked"
    card.save()
    response = pos.post("/earn", {"card": card.qr_token, "amount": 100, "currency": "EUR"})
    assert (response.status_code, response.json()["error"]) == (409, "card_blocked")


def test_it_redeems_and_refuses_more_than_the_balance(pos, card):
    response = pos.post("/redeem", {"card": card.qr_token, "points": 100}, key="redeem-0001")
    assert response.status_code == 201
    assert (response.json()["value"], response.json()["balance"]) == (100, 0)
    response = pos.post("/redeem", {"card": card.qr_token, "points": 100}, key="redeem-0002")
    assert (response.status_code, response.json()["error"]) == (409, "insufficient_funds")


def test_it_refunds_a_purchase_but_not_beyond_it(pos, card):
    booking = pos.post("/earn", {"card": card.qr_token, "amount": 5000, "currency": "EUR"}).json()
    partial = pos.post(f"/bookings/{booking['id']}/refund", {"amount": 2000}, key="refund-0001")
    assert partial.status_code == 201
    assert (partial.json()["points"], partial.json()["original"]) == (20, booking["id"])
    too_much = pos.post(f"/bookings/{booking['id']}/refund", {"amount": 3001}, key="refund-0002")
    assert (too_much.status_code, too_much.json()["error"]) == (409, "not_refundable")
    assert ledger_verify() == []


def test_it_refuses_missing_wrong_and_revoked_keys(pos, client, card, shop_a, bob):
    assert client.get(f"/altdorf/api/pos/v1/cards/{card.qr_token}").status_code == 401
    assert pos.get(f"/cards/{card.qr_token}", token="mpk_nope_nope").status_code == 401
    key, token = terminal_key_create(merchant=shop_a, name="Kasse 2", actor=bob)
    assert pos.get(f"/cards/{card.qr_token}", token=token).status_code == 200
    terminal_key_revoke(key=key, actor=bob)
    assert pos.get(f"/cards/{card.qr_token}", token=token).status_code == 401


def test_a_key_works_only_in_its_own_town(pos, card, town_b):
    response = pos.post(
        "/earn", {"card": card.qr_token, "amount": 100, "currency": "EUR"}, prefix="/bergdorf"
    )
    assert response.status_code == 401


def test_it_keeps_other_merchants_bookings_private(pos, card, town_a, bob):
    from marktplatz.testing import factories

    other = factories.merchant(city=town_a, name="Metzgerei")
    booking, _ = loyalty.earn(
        city=town_a,
        merchant=other,
        card=card,
        purchase_minor=1000,
        currency="EUR",
        idempotency_key="other-1",
    )
    assert pos.get(f"/bookings/{booking.code}").status_code == 404
    assert pos.post(f"/bookings/{booking.code}/refund", {}).status_code == 404


def test_it_serves_its_openapi_schema(client, town_a):
    schema = client.get("/altdorf/api/pos/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/altdorf/api/pos/v1/earn", "/altdorf/api/pos/v1/redeem"} <= set(schema["paths"])
    assert client.get("/altdorf/api/pos/v1/docs").status_code == 200


def test_it_stores_only_a_hash_of_the_key(terminal):
    stored = TerminalKey.objects.get()
    assert terminal.split("_", 2)[2] not in stored.secret_hash
    assert len(stored.secret_hash) == 64


def test_the_owner_creates_and_revokes_till_keys(client, bob, carol, shop_a, card):
    client.force_login(carol)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/keys/").status_code == 403
    client.force_login(bob)
    response = client.post(f"/altdorf/merchant/{shop_a.code}/keys/", {"name": "Kasse 2"})
    token = response.context["new_key"]
    assert token.startswith("mpk_")
    lookup = client.get(
        f"/altdorf/api/pos/v1/cards/{card.qr_token}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert lookup.status_code == 200
    key = TerminalKey.objects.get(name="Kasse 2")
    client.post(f"/altdorf/merchant/{shop_a.code}/keys/{key.code}/revoke/")
    lookup = client.get(
        f"/altdorf/api/pos/v1/cards/{card.qr_token}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert lookup.status_code == 401


def test_it_hands_out_a_reward_once(pos, card, town_a, shop_a):
    from marktplatz.loyalty.models import Reward
    from marktplatz.loyalty.rewards import reward_claim

    reward = Reward.objects.create(city=town_a, merchant=shop_a, title="Brezel", points=50)
    claim = reward_claim(member=card.member, reward=reward, idempotency_key="api-1")
    first = pos.post("/rewards/fulfil", {"code": claim.token}, key="fulfil-0001")
    assert (first.status_code, first.json()["reward"]) == (200, "Brezel")
    # The till retries (its answer was lost): the same answer, nothing handed out twice.
    retry = pos.post("/rewards/fulfil", {"code": claim.token}, key="fulfil-0001")
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    again = pos.post("/rewards/fulfil", {"code": claim.token}, key="fulfil-0002")
    assert (again.status_code, again.json()["error"]) == (409, "reward_unavailable")
    other = pos.post("/rewards/fulfil", {"code": "MPR1-OTHER"}, key="fulfil-0001")
    assert (other.status_code, other.json()["error"]) == (409, "idempotency_conflict")
    assert pos.post("/rewards/fulfil", {"code": claim.token}, key=None).status_code == 400
    # The audit log names the till that handed it out (no person acted).
    from marktplatz.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="reward.fulfilled")
    key = TerminalKey.objects.get()
    assert event.actor is None
    assert event.data["by"] == f"api-key:{key.prefix} (Kasse 1)"


def test_the_longest_idempotency_key_works_and_replays(pos, card):
    body = {"card": card.number, "amount": 1000, "currency": "EUR"}
    key = "k" * 200
    first = pos.post("/earn", body, key=key)
    assert first.status_code == 201
    again = pos.post("/earn", body, key=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert pos.post("/earn", body, key="k" * 201).status_code == 400
    assert Transfer.objects.filter(reason_code="earn").count() == 1
