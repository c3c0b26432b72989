"""The chat through its pages: a citizen writes to a business, staff answer from the
inbox, states, assignment, blocking, reports, canned replies and the away message."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from marktplatz.audit.models import AuditEvent
from marktplatz.chat import selectors, services
from marktplatz.chat.models import Conversation, Message, MessageReport
from marktplatz.testing import factories


def _start(client, url, town, shop):
    response = client.post(url(town, "conversation_start", shop.code))
    assert response.status_code == 302
    return Conversation.objects.get(merchant=shop)


def _send(client, url, town, conversation, body, key="k1", **extra):
    return client.post(
        url(town, "conversation_send", conversation.code), {"key": key, "body": body, **extra}
    )


def _jpeg_with_gps() -> io.BytesIO:
    picture = Image.new("RGB", (3000, 2000), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Kamera AG"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (47.0, 22.0, 0.0)  # the GPS latitude
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    out.seek(0)
    with Image.open(out) as check:
        assert check.getexif().get_ifd(0x8825)  # the upload does carry a position
    out.seek(0)
    out.name = "foto.jpg"
    return out


def test_a_citizen_writes_and_the_business_answers(client, dave, bob, town_a, shop_a, url):
    client.force_login(dave)
    conversation = _start(client, url, town_a, shop_a)
    assert _start(client, url, town_a, shop_a) == conversation  # one line per business
    first = _send(client, url, town_a, conversation, "Haben Sie <b>Brezeln</b>?")
    again = _send(client, url, town_a, conversation, "Haben Sie <b>Brezeln</b>?")
    assert first.status_code == again.status_code == 302
    assert Message.objects.count() == 1  # the same form twice posts once
    page = client.get(url(town_a, "conversation", conversation.code)).content.decode()
    assert "Haben Sie &lt;b&gt;Brezeln&lt;/b&gt;?" in page  # text, never HTML

    staff = factories.LoginClient()
    staff.cookies["mp_language"] = "en"
    staff.force_login(bob)
    inbox = staff.get(url(town_a, "inbox", shop_a.code)).content.decode()
    assert "dave@example.org" in inbox and "1 new" in inbox
    _send(staff, url, town_a, conversation, "Ja, frisch!", key="s1")
    conversation.refresh_from_db()
    assert conversation.merchant_read >= Message.objects.get(side="citizen").pk  # answered
    listing = client.get(url(town_a, "conversations")).content.decode()
    assert shop_a.name in listing and "1 new" in listing
    # The citizen opens the conversation: read, and the business's page says so.
    client.get(url(town_a, "conversation", conversation.code))
    conversation.refresh_from_db()
    assert conversation.citizen_read == Message.objects.get(side="merchant").pk
    answer = staff.get(url(town_a, "conversation", conversation.code)).content.decode()
    assert re.search(r"Ja, frisch!.*?Read", answer, re.S)


def test_bad_messages_are_refused_and_nothing_is_stored(client, dave, town_a, shop_a, url):
    client.force_login(dave)
    conversation = _start(client, url, town_a, shop_a)
    empty = _send(client, url, town_a, conversation, "   ")
    assert (
        empty.status_code == 400 and "Write a message or add a picture." in empty.content.decode()
    )
    long = _send(client, url, town_a, conversation, "x" * 2001, key="k2")
    assert long.status_code == 400
    fake = io.BytesIO(b"not a picture")
    fake.name = "x.jpg"
    response = _send(client, url, town_a, conversation, "", key="k3", image=fake)
    assert "This file is not a picture that can be read." in response.content.decode()
    assert not Message.objects.exists()


def test_a_picture_is_resized_stripped_and_shown_only_to_the_two_sides(
    client, dave, bob, town_a, shop_a, url
):
    client.force_login(dave)
    conversation = _start(client, url, town_a, shop_a)
    _send(client, url, town_a, conversation, "", image=_jpeg_with_gps())
    message = Message.objects.get()
    with Image.open(message.image.open("rb")) as stored:
        assert max(stored.size) == 1600
        assert not stored.getexif()
    picture_url = url(town_a, "message_picture", conversation.code, message.code)
    assert client.get(picture_url).status_code == 200
    staff = factories.LoginClient()
    staff.force_login(bob)
    assert staff.get(picture_url).status_code == 200
    other = factories.LoginClient()
    other.force_login(factories.person("eve@example.org", town_a, "citizen"))
    assert other.get(picture_url).status_code == 404
    operator = factories.LoginClient()
    operator.force_login(factories.person("olga@example.org", town_a, "operator_admin"))
    assert operator.get(picture_url).status_code == 404
    anonymous = factories.LoginClient().get(picture_url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"], anonymous
    # Kept outside the public media folder: no address serves it but the view above.
    assert Path(message.image.path).is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert client.get(f"/media/{message.image.name}").status_code == 404


def test_states_snooze_and_a_reply_reopens(client, dave, bob, town_a, shop_a, url):
    client.force_login(dave)
    conversation = _start(client, url, town_a, shop_a)
    _send(client, url, town_a, conversation, "Hallo")
    staff = factories.LoginClient()
    staff.force_login(bob)
    state_url = url(town_a, "conversation_state", conversation.code)
    past = staff.post(state_url, {"state": "snoozed", "snoozed_until": "2020-01-01T10:00"})
    assert past.status_code == 302
    conversation.refresh_from_db()
    assert conversation.state == "open"  # a snooze into the past is refused
    later = timezone.localtime() + dt.timedelta(days=1)
    staff.post(state_url, {"state": "snoozed", "snoozed_until": later.strftime("%Y-%m-%dT%H:%M")})
    conversation.refresh_from_db()
    assert conversation.state == "snoozed"
    now = timezone.now()
    assert not selectors.inbox(merchant=shop_a, show="open", user=bob, now=now).exists()
    assert selectors.inbox(
        merchant=shop_a, show="open", user=bob, now=now + dt.timedelta(days=2)
    ).exists()  # the snooze runs out
    _send(client, url, town_a, conversation, "Noch da?", key="k2")
    conversation.refresh_from_db()
    assert (conversation.state, conversation.snoozed_until) == ("open", None)
    staff.post(state_url, {"state": "resolved"})
    staff.post(state_url, {"state": "resolved"})
    assert AuditEvent.objects.filter(action="conversation.state").count() == 2  # snooze, resolve


def test_assignment_only_to_staff_of_the_business(client, bob, carol, dave, town_a, shop_a, url):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    client.force_login(bob)
    assign = url(town_a, "conversation_assign", conversation.code)
    client.post(assign, {"assignee": str(carol.pk)})
    conversation.refresh_from_db()
    assert conversation.assignee == carol
    client.post(assign, {"assignee": str(dave.pk)})  # not staff: refused
    conversation.refresh_from_db()
    assert conversation.assignee == carol
    with pytest.raises(services.ChatRefused):
        services.conversation_assign(conversation=conversation, assignee=dave, actor=bob)


def test_a_blocked_citizen_cannot_write(client, dave, bob, carol, town_a, shop_a, url):
    client.force_login(dave)
    conversation = _start(client, url, town_a, shop_a)
    cashier = factories.LoginClient()
    cashier.force_login(carol)
    block = url(town_a, "conversation_block", conversation.code)
    assert cashier.post(block, {"blocked": "1"}).status_code == 403  # owners and managers
    owner = factories.LoginClient()
    owner.force_login(bob)
    owner.post(block, {"blocked": "1"})
    response = _send(client, url, town_a, conversation, "Hallo?")
    assert "This business does not take messages from you." in response.content.decode()
    assert not Message.objects.exists()
    owner.post(block, {"blocked": "0"})
    assert _send(client, url, town_a, conversation, "Hallo?", key="k9").status_code == 302


def test_reporting_a_message_reaches_the_operator(client, dave, bob, alice, town_a, shop_a, url):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    rude, _ = services.message_post(
        conversation=conversation, sender=bob, side="merchant", body="Unverschämt!"
    )
    own, _ = services.message_post(
        conversation=conversation, sender=dave, side="citizen", body="Wie bitte?"
    )
    client.force_login(dave)
    assert client.get(url(town_a, "message_report", conversation.code, own.code)).status_code == 404
    report_url = url(town_a, "message_report", conversation.code, rude.code)
    client.post(report_url, {"reason": "Beleidigung"})
    client.post(report_url, {"reason": "Beleidigung"})
    assert MessageReport.objects.count() == 1
    operator = factories.LoginClient()
    operator.cookies["mp_language"] = "en"
    operator.force_login(alice)
    page = operator.get(url(town_a, "operator_chat_reports")).content.decode()
    assert "Unverschämt!" in page and "Beleidigung" in page
    # The operator reads reported messages, not the conversations.
    assert operator.get(url(town_a, "conversation", conversation.code)).status_code == 404
    report = MessageReport.objects.get()
    operator.post(url(town_a, "operator_report_handled", report.code))
    report.refresh_from_db()
    assert report.handled_by == alice
    assert (
        "No reported messages"
        in operator.get(url(town_a, "operator_chat_reports")).content.decode()
    )
    client.force_login(dave)
    assert client.get(url(town_a, "operator_chat_reports")).status_code in (403, 404)


def test_canned_replies_and_the_away_message(client, bob, carol, dave, town_a, shop_a, url):
    client.force_login(bob)
    replies = url(town_a, "inbox_replies", shop_a.code)
    client.post(replies, {"reply-title": "Öffnungszeiten", "reply-body": "Mo–Fr 8–18 Uhr."})
    again = client.post(replies, {"reply-title": "Öffnungszeiten", "reply-body": "Anders."})
    assert "There is a canned reply with this title already." in again.content.decode()
    reply = selectors.canned_replies(merchant=shop_a).get()
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    services.message_post(conversation=conversation, sender=dave, side="citizen", body="Hallo")
    page = client.get(url(town_a, "conversation", conversation.code) + f"?reply={reply.code}")
    assert "Mo–Fr 8–18 Uhr.</textarea>" in page.content.decode()
    cashier = factories.LoginClient()
    cashier.force_login(carol)
    assert cashier.get(replies).status_code == 403

    # Closed all week: the away message answers once, not for every message.
    client.post(replies, {"away-away_message": "Wir sind gerade nicht da."})
    shop_a.opening_hours = {"mon": [["03:00", "03:01"]]}
    shop_a.save()
    conversation.refresh_from_db()
    for text in ("Eins", "Zwei"):
        services.message_post(conversation=conversation, sender=dave, side="citizen", body=text)
    assert Message.objects.filter(side="auto").count() == 1
    assert Message.objects.get(side="auto").body == "Wir sind gerade nicht da."


@override_settings(CHAT_MESSAGES_PER_MINUTE=3)
def test_messages_are_rate_limited(dave, town_a, shop_a):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    for n in range(3):
        services.message_post(conversation=conversation, sender=dave, side="citizen", body=str(n))
    with pytest.raises(services.ChatRefused, match="too fast"):
        services.message_post(conversation=conversation, sender=dave, side="citizen", body="x")
    assert Message.objects.count() == 3


def test_strangers_and_other_towns_get_404(client, dave, town_a, town_b, shop_a, shop_b, url):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    eve = factories.person("eve@example.org", town_a, "citizen")
    client.force_login(eve)
    for name in ("conversation", "conversation_poll"):
        assert client.get(url(town_a, name, conversation.code)).status_code == 404
    assert (
        client.post(
            url(town_a, "conversation_send", conversation.code), {"key": "k", "body": "x"}
        ).status_code
        == 404
    )
    assert client.get(url(town_a, "inbox", shop_a.code)).status_code == 404
    client.force_login(dave)
    assert client.get(url(town_b, "conversation", conversation.code)).status_code == 404


def test_the_poll_answers_new_messages_and_the_read_receipt(client, dave, bob, town_a, shop_a, url):
    conversation = services.conversation_open(citizen=dave, merchant=shop_a)
    first, _ = services.message_post(
        conversation=conversation, sender=dave, side="citizen", body="A"
    )
    services.message_post(conversation=conversation, sender=bob, side="merchant", body="B")
    client.force_login(dave)
    poll = client.get(url(town_a, "conversation_poll", conversation.code) + f"?after={first.pk}")
    body = poll.content.decode()
    assert ">B<" in body and ">A<" not in body
    assert int(poll["X-Read-Upto"]) >= first.pk  # the business has read A by answering
    assert (
        client.get(url(town_a, "conversation_poll", conversation.code) + "?after=x").status_code
        == 400
    )
