import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from marktplatz.api.models import WebhookDelivery
from marktplatz.api.webhooks import endpoint_create, validate_target
from marktplatz.loyalty import services as loyalty


class Receiver:
    """A real HTTP server on loopback that answers with the given statuses in turn."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((headers, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    server = Receiver([500, 200])
    yield server
    server.close()


def standard_webhooks_verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks specification."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(sig.split(",", 1)[1] == expected for sig in headers["webhook-signature"].split())


# The worker closes its database connection after a task, like in production.
@pytest.mark.django_db(transaction=True)
def test_it_signs_delivers_and_retries_booking_webhooks(
    receiver, town_a, shop_a, bob, dave, django_capture_on_commit_callbacks
):
    endpoint = endpoint_create(merchant=shop_a, url=receiver.url, actor=bob)
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()
    with django_capture_on_commit_callbacks(execute=True):
        booking, _ = loyalty.earn(
            city=town_a,
            merchant=shop_a,
            card=card,
            purchase_minor=4200,
            currency="EUR",
            idempotency_key="w1",
        )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("db_worker", "--batch", "--no-startup-delay")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    # The retry waits 5 s; run it now.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("db_worker", "--batch", "--no-startup-delay")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    (h1, _b1), (h2, b2) = receiver.requests
    assert standard_webhooks_verify(endpoint.secret, h2, b2)
    assert not standard_webhooks_verify(endpoint.secret, h2, b2 + b" ")
    assert h1["webhook-id"] == h2["webhook-id"] == delivery.msg_id
    payload = json.loads(b2)
    assert payload["type"] == "booking.created"
    assert payload["data"]["id"] == booking.code
    assert payload["data"]["points"] == 42


def test_it_refuses_http_and_private_targets(settings):
    from django.core.exceptions import ValidationError

    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        validate_target("http://example.org/hook")
    with pytest.raises(ValidationError):
        validate_target("https://127.0.0.1/hook")
    with pytest.raises(ValidationError):
        validate_target("ftp://example.org/hook")
