"""The OpenAPI schema says what the server enforces, and documents every answer it gives.

schemathesis is not in the dev lock; the property test below does its core check with
hypothesis: bodies drawn at random (valid, invalid and hostile values) never get a 5xx
and only get the statuses and error codes the schema and docs/api.md name.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marktplatz.api.errors import ERROR_CODES
from marktplatz.ledger.errors import LedgerError

DOCS = Path(settings.BASE_DIR) / "docs" / "api.md"
PREFIX = "/altdorf/api/pos/v1"
# The modules whose refusals the API's endpoints pass on, and those of their refusals no
# endpoint can meet (member events; holds, which no endpoint resolves).
API_MODULES = {
    "marktplatz.ledger.errors",
    "marktplatz.loyalty.errors",
    "marktplatz.loyalty.rewards",
    "marktplatz.vouchers.errors",
    "marktplatz.purses.services",
}
NOT_IN_THE_API = {"event_full", "already_resolved"}


@pytest.fixture
def schema(client, town_a):
    return client.get(f"{PREFIX}/openapi.json").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_error_code_is_in_the_schema_and_the_docs(schema):
    documented = set(re.findall(r"`([a-z_]+)`", DOCS.read_text()))
    assert set(ERROR_CODES) <= documented, set(ERROR_CODES) - documented
    error_enum = schema["components"]["schemas"]["ErrorOut"]["properties"]["error"]["enum"]
    assert set(error_enum) == set(ERROR_CODES)
    refusals = {
        cls.code for cls in _all_subclasses(LedgerError) if cls.__module__ in API_MODULES
    } | {LedgerError.code}
    assert refusals - NOT_IN_THE_API <= set(ERROR_CODES), refusals - set(ERROR_CODES)


def test_every_operation_documents_its_error_answers(schema):
    for path, method, operation in _operations(schema):
        statuses = set(operation["responses"])
        assert {"400", "401", "404", "413", "422", "429", "500", "503"} <= statuses, (path, method)
        described = " ".join(
            answer["description"]
            for status, answer in operation["responses"].items()
            if int(status) >= 400
        )
        assert set(ERROR_CODES) - {"method_not_allowed"} <= set(
            re.findall(r"`([a-z_]+)`", described)
        ), path
        if method == "post":
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "Idempotency-Key" in names, path


def test_the_schema_declares_what_the_server_enforces(schema):
    bodies = schema["components"]["schemas"]
    assert bodies["EarnIn"]["properties"]["amount"]["minimum"] == 1
    assert bodies["EarnIn"]["properties"]["currency"]["enum"] == ["EUR", "CHF"]
    assert bodies["RedeemIn"]["properties"]["points"]["minimum"] == 1
    assert bodies["VoucherRedeemIn"]["properties"]["amount"]["minimum"] == 1
    assert bodies["RefundIn"]["properties"]["amount"]["minimum"] == 1
    parts = bodies["CheckoutIn"]["anyOf"]
    assert [sorted(part["required"]) for part in parts] == [
        ["card", "points"],
        ["card", "purse_amount"],
        ["voucher", "voucher_amount"],
    ]


def test_the_server_refuses_what_the_schema_excludes(pos, card):
    assert pos.post("/checkout", {}, key="no-parts-01").json()["error"] == "bad_amount"
    assert pos.post("/checkout", {"card": card.number}, key="no-parts-02").status_code == 422
    lower = pos.post("/earn", {"card": card.number, "amount": 100, "currency": "eur"})
    assert (lower.status_code, lower.json()["error"]) == (422, "invalid_request")
    for amount in (0, -1):
        zero = pos.post("/earn", {"card": card.number, "amount": amount, "currency": "EUR"})
        assert zero.status_code == 422


# Values a till, a bug or an attacker might send in any field.
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
    st.sampled_from(
        ["<card>", "EUR", "CHF", "MPC1-", "MPV1-0000", "4000 0000 0000 0002", "\x00", "🙂"]
    ),
    st.lists(st.integers(), max_size=3),
)
FIELDS = {
    "/earn": ["card", "amount", "currency"],
    "/redeem": ["card", "points"],
    "/checkout": ["card", "points", "voucher", "voucher_amount", "purse_amount"],
    "/vouchers/redeem": ["code", "amount"],
    "/rewards/fulfil": ["code"],
}


@pytest.mark.parametrize("path", FIELDS)
def test_random_bodies_get_only_documented_answers(pos, card, schema, path):
    documented = {int(s) for s in schema["paths"][f"{PREFIX}{path}"]["post"]["responses"]}
    keys = iter(range(10**6))

    @hypothesis_settings(
        max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(body=st.dictionaries(st.sampled_from(FIELDS[path]), ANY_VALUE, max_size=5))
    def check(body):
        if body.get("card") == "<card>":
            body["card"] = card.number
        answer = pos.post(path, body, key=f"fuzz-{next(keys):08d}")
        assert answer.status_code in documented, (body, answer.status_code, answer.content)
        assert answer.status_code < 500, (body, answer.content)
        data = answer.json()
        if answer.status_code >= 400:
            assert data["error"] in ERROR_CODES, (body, data)

    check()


def test_random_paths_get_json(client, terminal):
    @hypothesis_settings(
        max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(segment=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s))
    def check(segment):
        for path in (f"{PREFIX}/cards/{segment}", f"{PREFIX}/{segment}"):
            answer = client.get(path.replace("#", "%23"), HTTP_AUTHORIZATION=f"Bearer {terminal}")
            assert answer.status_code < 500, (path, answer.content)
            assert answer["Content-Type"].startswith("application/json"), path
            json.loads(answer.content)

    check()
