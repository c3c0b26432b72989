"""The POS API as app servers run it: ``marktplatz.wsgi.application``, short middleware."""

import io
import json
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from marktplatz.wsgi import application


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: the handler must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _call(method, path, body=None, **headers):
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    answer["body"] = b"".join(application(environ, start_response))
    return answer


def test_the_api_books_through_the_short_chain(card, terminal):
    body = {"card": card.qr_token, "amount": 1999, "currency": "EUR"}
    first = _call(
        "POST", "/altdorf/api/pos/v1/earn", body,
        authorization=f"Bearer {terminal}", idempotency_key="wsgi-0001",
    )  # fmt: skip
    assert first["status"] == 201, first["body"]
    assert json.loads(first["body"])["points"] == 19
    # No session middleware ran: nothing sets a cookie on the API.
    assert "Set-Cookie" not in first["headers"]
    again = _call(
        "POST", "/altdorf/api/pos/v1/earn", body,
        authorization=f"Bearer {terminal}", idempotency_key="wsgi-0001",
    )  # fmt: skip
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert json.loads(again["body"])["id"] == json.loads(first["body"])["id"]


def test_the_api_answers_in_the_towns_language_without_a_key(town_a):
    answer = _call("GET", "/altdorf/api/pos/v1/cards/123")
    assert answer["status"] == 401
    assert answer["headers"]["Content-Language"] == "de"
    assert "Terminal-Schlüssel" in json.loads(answer["body"])["message"]


def test_pages_and_the_api_docs_keep_the_full_chain(town_a):
    docs = _call("GET", "/altdorf/api/pos/v1/docs")
    assert docs["status"] == 200
    assert "Content-Security-Policy" in docs["headers"]
    assert "X-Frame-Options" in docs["headers"]


def test_it_imports_every_url_pattern_before_the_first_request():
    """A worker that imported its views in its first request answered that request (and
    those queued behind it) most of a second late: gunicorn starts warm workers."""
    import subprocess

    code = (
        "import sys; import marktplatz.wsgi; "
        "print(all(m in sys.modules for m in "
        "('marktplatz.urls', 'marktplatz.loyalty.views', 'marktplatz.api.pos')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "True"
