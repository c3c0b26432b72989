"""Production's set-up: two ASGI app servers (daphne) on PostgreSQL with the Redis channel
layer. A message a member of staff posts through one server (a plain form post) reaches
the citizen's WebSocket held by the other at once."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from websockets.sync.client import connect

from marktplatz.chat import services
from marktplatz.testing import factories

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _postgres_and_redis_only():
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("several app servers need PostgreSQL and Redis (REDIS_URL)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def two_servers(tmp_path):
    """Two daphne processes on the test database, with static files collected as in
    production; their ports."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marktplatz.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MARKTPLATZ_VAR_DIR": str(settings.VAR_DIR),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    ports = [_free_port(), _free_port()]
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p"]
    app = "marktplatz.asgi:application"
    servers = [
        subprocess.Popen(
            [*command, str(port), app],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
            # Shown by pytest when the test fails: what the servers logged.
            print(server.stderr.read().decode()[-4000:], file=sys.stderr)


def _session(user) -> str:
    client = factories.LoginClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_a_message_posted_on_one_server_reaches_a_socket_on_the_other(
    two_servers, town_a, shop_a, dave, bob
):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    services.message_post(conversation=conversation, sender=dave, side="citizen", body="Hallo?")
    first, second = two_servers

    citizen = connect(
        f"ws://127.0.0.1:{first}/altdorf/ws/chat/{conversation.code}/",
        origin=f"http://127.0.0.1:{first}",
        additional_headers={"Cookie": f"sessionid={_session(dave)}; mp_language=en"},
        open_timeout=10,
    )
    with citizen, httpx.Client(base_url=f"http://127.0.0.1:{second}/altdorf") as staff:
        staff.cookies.set("sessionid", _session(bob))
        # Idle for longer than the channel layer's blocking read (5 s): the socket stays.
        time.sleep(6.5)
        page = staff.get(f"/conversations/{conversation.code}/")
        assert page.status_code == 200
        key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        sent_at = time.monotonic()
        posted = staff.post(
            f"/conversations/{conversation.code}/send/",
            data={"csrfmiddlewaretoken": token, "key": key, "body": "Ja, wir haben offen."},
        )
        assert posted.status_code == 302, posted.text[:500]
        # The staff's page read the citizen's message first: that receipt comes too.
        events = [json.loads(citizen.recv(timeout=10))]
        while events[-1]["type"] != "messages":
            events.append(json.loads(citizen.recv(timeout=10)))
        latency = time.monotonic() - sent_at
    event = events[-1]
    assert [e["type"] for e in events[:-1]] in ([], ["read"])
    assert "Ja, wir haben offen." in event["messages"][0]["html"]
    assert latency < 5
