"""The chat's WebSocket in one process (the demo's set-up): a message posted by the
business reaches the citizen's open page at once, rendered for the citizen; messages and
read receipts may be sent over the socket too; strangers are refused."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from marktplatz.chat import services
from marktplatz.chat.models import Conversation, Message
from marktplatz.testing import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _session(user) -> str:
    """A logged-in session of ``user`` (made before the event loop runs)."""
    client = factories.LoginClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _socket(path: str, session: str | None = None, language: str = "en") -> WebsocketCommunicator:
    from marktplatz.asgi import application

    cookies = [f"mp_language={language}"]
    if session is not None:
        cookies.append(f"sessionid={session}")
    headers = [
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
        (b"cookie", "; ".join(cookies).encode()),
    ]
    return WebsocketCommunicator(application, path, headers=headers)


async def _open(path: str, session: str, language: str = "en") -> WebsocketCommunicator:
    """A socket of ``session`` on ``path``, connected."""
    socket = _socket(path, session, language)
    connected, _code = await socket.connect()
    assert connected
    return socket


def _post(conversation, sender, side, body):
    return services.message_post(conversation=conversation, sender=sender, side=side, body=body)


def test_a_message_reaches_the_open_page_at_once(town_a, shop_a, dave, bob):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    dave_session, bob_session = _session(dave), _session(bob)

    async def scenario():
        citizen = await _open(f"/altdorf/ws/chat/{conversation.code}/", dave_session)
        await sync_to_async(_post)(conversation, bob, "merchant", "Ihre <Bestellung> ist da")
        event = await citizen.receive_json_from(timeout=5)
        assert event["type"] == "messages"
        (message,) = event["messages"]
        assert "Ihre &lt;Bestellung&gt; ist da" in message["html"]
        assert "Bäckerei Alt" in message["html"] and "Report" in message["html"]
        assert f'href="/altdorf/conversations/{conversation.code}/report/' in message["html"]

        # Sent over the socket: stored once per key, and echoed to the page.
        for _attempt in range(2):
            await citizen.send_json_to({"type": "send", "body": "Danke!", "key": "ws-1"})
        echo = await citizen.receive_json_from(timeout=5)
        assert "Danke!" in echo["messages"][0]["html"] and "You" in echo["messages"][0]["html"]
        assert await citizen.receive_nothing(timeout=0.5)
        await citizen.send_json_to({"type": "send", "body": "  ", "key": "ws-2"})
        refused = await citizen.receive_json_from(timeout=5)
        assert refused == {
            "type": "error",
            "message": "Write a message or add a picture.",
            "key": "ws-2",
        }

        # The business reads: the citizen's page hears it.
        staff = await _open(f"/altdorf/ws/chat/{conversation.code}/", bob_session)
        last = await sync_to_async(lambda: Message.objects.order_by("-pk").first().pk)()
        await staff.send_json_to({"type": "read", "upto": last})
        assert await citizen.receive_json_from(timeout=5) == {"type": "read", "upto": last}
        await citizen.disconnect()
        await staff.disconnect()

    async_to_sync(scenario)()
    assert Message.objects.filter(body="Danke!").count() == 1
    assert Conversation.objects.get().merchant_read == Message.objects.order_by("-pk")[0].pk


def test_the_page_is_rendered_in_the_persons_language(town_a, shop_a, dave, bob):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    session = _session(dave)

    async def scenario():
        citizen = await _open(f"/altdorf/ws/chat/{conversation.code}/", session, language="de")
        await sync_to_async(_post)(conversation, bob, "merchant", "Hallo")
        event = await citizen.receive_json_from(timeout=5)
        assert "Melden" in event["messages"][0]["html"]
        await citizen.disconnect()

    async_to_sync(scenario)()


def test_strangers_anonymous_and_other_towns_are_refused(town_a, town_b, shop_a, dave):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    eve = factories.person("eve@example.org", town_a, "citizen")
    operator = factories.person("olga@example.org", town_a, "operator_admin")
    eve, operator, dave = _session(eve), _session(operator), _session(dave)

    async def refused(path, user):
        socket = _socket(path, user)
        connected, code = await socket.connect()
        assert not connected
        return code

    async def scenario():
        path = f"/altdorf/ws/chat/{conversation.code}/"
        assert await refused(path, None) == 4401
        assert await refused(path, eve) == 4404
        assert await refused(path, operator) == 4404
        assert await refused(f"/bergdorf/ws/chat/{conversation.code}/", dave) == 4404
        assert await refused(f"/altdorf/ws/inbox/{shop_a.code}/", dave) == 4404

    async_to_sync(scenario)()


def test_the_inbox_hears_of_new_messages(town_a, shop_a, dave, bob):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    session = _session(bob)

    async def scenario():
        inbox = await _open(f"/altdorf/ws/inbox/{shop_a.code}/", session)
        await sync_to_async(_post)(conversation, dave, "citizen", "Hallo")
        assert json.loads(await inbox.receive_from(timeout=5)) == {"type": "changed"}
        await inbox.disconnect()

    async_to_sync(scenario)()


def test_a_block_while_the_page_is_open_stops_the_next_message(town_a, shop_a, dave, bob):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    session = _session(dave)

    async def scenario():
        citizen = await _open(f"/altdorf/ws/chat/{conversation.code}/", session)
        await sync_to_async(services.citizen_block)(
            conversation=conversation, blocked=True, actor=bob
        )
        await citizen.send_json_to({"type": "send", "body": "Hallo?", "key": "ws-b"})
        answer = await citizen.receive_json_from(timeout=5)
        assert answer["type"] == "error"
        assert answer["message"] == "This business does not take messages from you."
        await citizen.disconnect()

    async_to_sync(scenario)()
    assert not Message.objects.exists()
