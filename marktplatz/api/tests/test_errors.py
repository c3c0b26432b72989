"""What a till hears when something is wrong: always JSON, with a documented code; NUL
characters and oversized bodies are refused before they reach the database."""

import io
import json
import sys
import threading
import time

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, connections

from marktplatz.api.errors import ERROR_CODES
from marktplatz.loyalty import services as loyalty
from marktplatz.wsgi import application

API = "/altdorf/api/pos/v1"


def _wsgi(method, path, body=b"", query="", **headers):
    """A request through marktplatz.wsgi.application, the app servers' short chain."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        answer["body"] = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer


def _is_json_error(status, content_type, body, code=None):
    assert content_type.startswith("application/json"), (status, body[:200])
    data = json.loads(body)
    assert set(data) == {"error", "message"} and data["message"]
    assert data["error"] in ERROR_CODES
    if code:
        assert data["error"] == code
    return data


# --- Unknown paths, wrong methods, server errors -------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", f"{API}/no-such-thing", 404, "not_found"),
        ("GET", f"{API}/", 404, "not_found"),
        ("POST", f"{API}/bookings/abc/refund/extra", 404, "not_found"),
        ("GET", f"{API}/earn", 405, "method_not_allowed"),
        ("DELETE", f"{API}/cards/1234", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_methods_answer_json(client, terminal, method, path, status, code):
    auth = f"Bearer {terminal}"
    response = client.generic(method, path, HTTP_AUTHORIZATION=auth)
    assert response.status_code == status
    _is_json_error(status, response["Content-Type"], response.content, code)
    through_wsgi = _wsgi(method, path, authorization=auth)
    assert through_wsgi["status"] == status
    _is_json_error(status, through_wsgi["headers"]["Content-Type"], through_wsgi["body"], code)
    if status == 405:
        assert through_wsgi["headers"]["Allow"]


def test_a_server_error_answers_json(pos, card, caplog):
    # A real failure: the table of cards is gone (in this test's transaction only).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE loyalty_card RENAME TO loyalty_card_gone")
    response = pos.get(f"/cards/{card.qr_token}")
    assert response.status_code == 500
    data = _is_json_error(500, response["Content-Type"], response.content, "server_error")
    assert "Idempotency-Key" in data["message"]
    # Logged like any server error (for the error mails and the log).
    assert any(r.name == "django.request" and r.levelname == "ERROR" for r in caplog.records)


@pytest.mark.parametrize("through_wsgi", [True, False])
def test_a_server_error_before_the_api_runs_answers_json(client, terminal, through_wsgi):
    # The town cannot be looked up (its table is gone in this test's transaction): the
    # error happens in a middleware, before any handler of the API could answer.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cities_city RENAME TO cities_city_gone")
    path, auth = f"{API}/cards/1234", f"Bearer {terminal}"
    if through_wsgi:
        answer = _wsgi("GET", path, authorization=auth)
        status, content_type, body = (
            answer["status"],
            answer["headers"]["Content-Type"],
            answer["body"],
        )
    else:
        client.raise_request_exception = False
        answer = client.get(path, HTTP_AUTHORIZATION=auth)
        status, content_type, body = answer.status_code, answer["Content-Type"], answer.content
    assert status == 500
    _is_json_error(500, content_type, body, "server_error")


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_answers_json_and_may_be_retried(pos, card, shop_a):
    if connection.vendor != "postgresql":
        pytest.skip("deadlocks are detected by PostgreSQL")
    member = card.member
    accounts = sorted(
        [member.account_id, member.debt_account_id, loyalty.merchant_account(merchant=shop_a).pk]
    )
    first, last = accounts[0], accounts[-1]
    holding, done = threading.Event(), threading.Event()

    def other_booking():
        # Another session takes the last account, then wants the first one, which the
        # request below holds while it waits for the last: a real deadlock. This session
        # waits longer before checking for deadlocks, so PostgreSQL ends the request's.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SET LOCAL deadlock_timeout = '10s'")
                cursor.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE", [last])
                holding.set()
                for _ in range(200):  # until the request waits for a lock
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.02)
                cursor.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE", [first])
                cursor.execute("ROLLBACK")
        finally:
            other.close()
            done.set()

    thread = threading.Thread(target=other_booking)
    thread.start()
    assert holding.wait(10)
    response = pos.post("/redeem", {"card": card.qr_token, "points": 100}, key="deadlock-01")
    thread.join(20)
    assert done.is_set()
    assert response.status_code == 503, response.content
    _is_json_error(503, response["Content-Type"], response.content, "try_again")
    assert response["Retry-After"] == "1"
    # Nothing was booked: the retry with the same key books once.
    retry = pos.post("/redeem", {"card": card.qr_token, "points": 100}, key="deadlock-01")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry


# --- NUL characters -------------------------------------------------------------------


def test_nul_characters_in_the_api_are_a_400(pos, client, terminal, card):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {terminal}"}
    answers = [
        client.get(f"{API}/cards/%00{card.number}", **auth),
        client.get(f"{API}/vouchers/MPV1-%00", **auth),
        client.get(f"{API}/cards/{card.number}?x=%00", **auth),
        pos.post("/earn", {"card": f"{card.number}\x00", "amount": 100, "currency": "EUR"}),
        pos.post("/vouchers/redeem", {"code": "MPV1-\x00", "amount": 100}),
        pos.post("/rewards/fulfil", {"code": "MPR1-\x00"}),
        pos.post("/earn", {"card": card.number, "amount": 100, "currency": "EUR"}, key="k\x00" * 8),
        client.get(f"{API}/cards/{card.number}", HTTP_AUTHORIZATION=f"Bearer {terminal}\x00"),
        client.get(f"/%00altdorf/api/pos/v1/cards/{card.number}", **auth),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.content
        _is_json_error(400, answer["Content-Type"], answer.content, "invalid_request")
    through_wsgi = _wsgi(
        "POST",
        f"{API}/earn",
        b'{"card": "\\u0000", "amount": 1, "currency": "EUR"}',
        authorization=f"Bearer {terminal}",
        idempotency_key="nul-00001",
    )
    assert through_wsgi["status"] == 400
    _is_json_error(400, through_wsgi["headers"]["Content-Type"], through_wsgi["body"])


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/altdorf/vouchers/balance/", {"code": "MPV1-\x00"}),
        ("post", "/altdorf/accounts/login/", {"login": "a\x00@example.org", "password": "x"}),
        ("get", "/altdorf/merchants/?q=%00", None),
        ("get", "/altdorf/%00/", None),
        ("get", "/%00/", None),
    ],
)
def test_nul_characters_in_pages_and_forms_are_a_400_page(client, town_a, method, path, data):
    client.cookies["mp_language"] = "fr"
    response = getattr(client, method)(path, data) if data else getattr(client, method)(path)
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "Requête incorrecte" in response.content.decode()


def test_uploaded_files_may_hold_nul_bytes_but_fields_may_not(client, town_a):
    upload = io.BytesIO(b"PK\x03\x04\x00\x00binary")
    upload.name = "file.bin"
    fine = client.post("/altdorf/vouchers/balance/", {"code": "MPV1-0000", "file": upload})
    assert fine.status_code == 200
    upload.seek(0)
    refused = client.post("/altdorf/vouchers/balance/", {"code": "MPV1-\x00", "file": upload})
    assert refused.status_code == 400


# --- Body size -------------------------------------------------------------------------


def test_bodies_over_the_limit_are_a_json_413(pos, terminal, card, settings):
    big = {"card": card.number, "amount": 100, "currency": "EUR", "pad": "x" * 70_000}
    response = pos.post("/earn", big)
    assert response.status_code == 413
    _is_json_error(413, response["Content-Type"], response.content, "payload_too_large")
    through_wsgi = _wsgi(
        "POST",
        f"{API}/earn",
        json.dumps(big).encode(),
        authorization=f"Bearer {terminal}",
        idempotency_key="big-000001",
    )
    assert through_wsgi["status"] == 413
    small = {"card": card.number, "amount": 100, "currency": "EUR", "pad": "x" * 60_000}
    assert pos.post("/earn", small, key="small-00001").status_code == 201


def test_error_pages_of_the_api_speak_the_visitors_language(client, terminal):
    client.cookies["mp_language"] = "fr"
    answer = client.get(f"{API}/no-such-thing", HTTP_AUTHORIZATION=f"Bearer {terminal}")
    assert answer.json()["message"] == "Ce chemin n'existe pas dans l'API de caisse."


def test_refusals_before_the_town_is_looked_up_speak_its_language(pos, town_a, card):
    town_a.default_language = "it"
    town_a.save()
    big = {"card": card.number, "amount": 100, "currency": "EUR", "pad": "x" * 70_000}
    assert pos.post("/earn", big).json()["message"] == (
        "Il corpo della richiesta supera 65536 byte."
    )
    nul = pos.post("/earn", {"card": "\x00", "amount": 100, "currency": "EUR"})
    assert (
        nul.json()["message"] == "La richiesta contiene un carattere NUL che nessun campo accetta."
    )
