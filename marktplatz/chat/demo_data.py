"""Demo data of the chat: conversations of citizens with businesses in every state (open
with unread messages, pending, snoozed, resolved), the demo citizen's with the demo
owner's business among them; canned replies and an away message for that business; one
message reported to the operator."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marktplatz.accounts.models import Role, RoleKind
from marktplatz.chat.models import CannedReply, Conversation, InboxSettings, Message, MessageReport
from marktplatz.merchants.models import Merchant

QUESTIONS = [
    (
        "Haben Sie heute noch frische Brezeln?",
        "Ja, bis 18 Uhr. Sollen wir Ihnen welche zurücklegen?",
    ),
    ("Kann ich die Bestellung auch morgen früh abholen?", "Gerne, ab 8 Uhr liegt sie bereit."),
    (
        "Gibt es den Mantel auch in Größe 40?",
        "Leider nur noch in 38 und 42, wir bestellen gern nach.",
    ),
    (
        "Sind Sie am Feiertag geöffnet?",
        "Am Feiertag haben wir geschlossen, am Tag danach wie immer.",
    ),
    ("Nehmen Sie die Stadtgutscheine?", "Ja, Gutscheine und Punkte der Stadtkarte gehen bei uns."),
    ("Haben Sie das Buch von der Lesung noch?", "Zwei Exemplare sind noch da."),
]
REPLIES = [
    ("Öffnungszeiten", "Wir sind Montag bis Freitag von 8 bis 18 Uhr und samstags bis 14 Uhr da."),
    ("Zurückgelegt", "Wir haben es für Sie zurückgelegt, es liegt zwei Tage an der Kasse bereit."),
    ("Danke", "Vielen Dank für Ihre Nachricht! Wir melden uns so schnell wie möglich."),
]
STATES = ["open", "open", "pending", "snoozed", "resolved", "resolved"]


def seed(*, city, town, rng, out, **_options) -> None:
    if Conversation.objects.exists():
        return  # loaded once
    merchants = list(
        Merchant.objects.filter(status=Merchant.Status.APPROVED, is_active=True).order_by("code")
    )
    owner = Role.objects.filter(kind=RoleKind.MERCHANT_OWNER).select_related("merchant").first()
    citizens = [
        role.user
        for role in Role.objects.filter(kind=RoleKind.CITIZEN)
        .select_related("user")
        .order_by("user_id")
    ]
    if not merchants or not citizens or owner is None:
        return
    demo_citizen = next(
        (user for user in citizens if user.email == f"citizen@{town.slug}.example"), citizens[0]
    )
    now = timezone.now()
    pairs = [(demo_citizen, owner.merchant, "open"), (demo_citizen, merchants[1], "resolved")]
    others = [user for user in citizens if user != demo_citizen]
    for index in range(24 if others else 0):
        pairs.append((rng.choice(others), rng.choice(merchants), STATES[index % 6]))
    seen = set()
    for citizen, merchant, state in pairs:
        if (citizen.pk, merchant.pk) in seen:
            continue
        seen.add((citizen.pk, merchant.pk))
        _conversation(city, citizen, merchant, state, owner, rng, now)
    for title, body in REPLIES:
        CannedReply.objects.create(city=city, merchant=owner.merchant, title=title, body=body)
    InboxSettings.objects.create(
        city=city,
        merchant=owner.merchant,
        away_message="Danke für Ihre Nachricht! Wir sind gerade nicht im Laden und antworten "
        "zu den Öffnungszeiten.",
    )


def _conversation(city, citizen, merchant, state, owner, rng, now) -> None:
    started = now - dt.timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 10))
    question, answer = rng.choice(QUESTIONS)
    conversation = Conversation.objects.create(
        city=city,
        citizen=citizen,
        merchant=merchant,
        state=state,
        snoozed_until=now + dt.timedelta(days=1) if state == "snoozed" else None,
        assignee=owner.user if merchant == owner.merchant and state == "pending" else None,
    )
    lines = [(Message.Side.CITIZEN, citizen, question)]
    if state != "open":
        staff = owner.user if merchant == owner.merchant else None
        lines.append((Message.Side.MERCHANT, staff, answer))
    if state in ("resolved", "snoozed"):
        lines.append((Message.Side.CITIZEN, citizen, "Danke, bis bald!"))
    made = []
    for offset, (side, sender, body) in enumerate(lines):
        message = Message.objects.create(
            city=city, conversation=conversation, side=side, sender=sender, body=body
        )
        at = started + dt.timedelta(minutes=20 * offset)
        Message.objects.filter(pk=message.pk).update(created_at=at)
        made.append((message, at))
    last, last_at = made[-1]
    read_by_business = last.pk if state != "open" else made[0][0].pk - 1
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=last_at,
        merchant_read=read_by_business,
        citizen_read=last.pk if state == "resolved" else made[0][0].pk,
    )
    if state == "pending" and not MessageReport.objects.exists():
        # The citizen reports the business's answer.
        MessageReport.objects.create(
            city=city,
            message=made[1][0],
            reporter=citizen,
            reason="Beispiel einer Meldung für das Team der Stadt.",
        )
