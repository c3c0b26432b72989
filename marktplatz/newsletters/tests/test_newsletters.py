"""Newsletters through their pages and a real SMTP server (aiosmtpd): double opt-in with
the consent on record, an issue written with a preview and sent by the task worker with
the one-click unsubscribe headers (RFC 8058), which a mail program's POST uses."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.core.management import call_command
from django.test import Client

from marktplatz.audit.models import AuditEvent
from marktplatz.newsletters.models import Delivery, Issue, Subscriber
from marktplatz.newsletters.tasks import issue_deliver
from marktplatz.testing import factories
from marktplatz.testing.smtp import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return lambda: call_command("db_worker", "--batch", "--no-startup-delay")


def _link(message, kind: str) -> str:
    found = re.search(rf"http://localhost:8000(/altdorf/newsletters/{kind}/\S+/)", message)
    assert found, message
    return found.group(1)


def test_double_opt_in_sending_and_one_click_unsubscribe(
    client, bob, town_a, shop_a, url, settings, worker
):
    owner = factories.LoginClient()
    owner.cookies["mp_language"] = "en"
    owner.force_login(bob)
    start = owner.get(url(town_a, "merchant_newsletter", shop_a.code))
    issues_url = start["Location"]
    page = owner.get(issues_url).content.decode()
    subscribe_path = re.search(
        r'href="http://testserver(/altdorf/newsletters/\w+/subscribe/)"', page
    ).group(1)
    visitor = Client()
    visitor.cookies["mp_language"] = "en"
    with smtp_server(settings) as mails:
        # Subscribing without the consent box ticked: refused, nothing stored.
        refused = visitor.post(subscribe_path, {"email": "kim@example.org"})
        assert refused.status_code == 400 and not Subscriber.objects.exists()
        for address in ("kim@example.org", "KIM@example.org", "lea@example.org"):
            answer = visitor.post(subscribe_path, {"email": address, "consent": "on"})
            assert (
                answer.status_code == 200 and "Please check your e-mail" in answer.content.decode()
            )
        # One confirmation mail per address (the second request came within ten minutes).
        assert sorted(m.rcpt_tos[0] for m in mails) == ["kim@example.org", "lea@example.org"]
        confirmation = email.message_from_bytes(mails[0].content)
        text = confirmation.get_payload(decode=True).decode()
        assert "List-Unsubscribe" not in confirmation and "http" in text
        assert "Bäckerei Alt" in text and "ignore this e-mail" in text  # no advertising
        kim = Subscriber.objects.get(email="kim@example.org")
        assert kim.status == "pending" and "unsubscribe at any time" in kim.consent_text
        assert kim.consent_source == f"{subscribe_path} 127.0.0.0/24" and kim.language == "en"
        # Opening the link confirms nothing (mail scanners open links); the button does.
        confirm_path = _link(text, "confirm")
        visitor.get(confirm_path)
        kim.refresh_from_db()
        assert kim.status == "pending"
        visitor.post(confirm_path)
        visitor.post(confirm_path)  # twice: confirmed once
        kim.refresh_from_db()
        assert kim.status == "confirmed" and kim.confirmed_from == "127.0.0.0/24"
        assert AuditEvent.objects.filter(action="newsletter.confirmed").count() == 1
        assert visitor.get(confirm_path[:-5] + "xxxx/").status_code == 404  # a wrong token
        # The owner writes an issue, previews it, saves it, sends it (twice pressed).
        new = owner.get(
            url(
                town_a,
                "newsletter_issue_new",
                re.search(r"newsletters/(\w+)/", issues_url).group(1),
            )
        )
        key = re.search(r'name="key" value="(\w+)"', new.content.decode()).group(1)
        compose = {"key": key, "subject": "Frische Brezeln", "body": "Ab Montag <b>neu</b>."}
        preview = owner.post(new.wsgi_request.path, {**compose, "preview": "1"})
        assert "Ab Montag &lt;b&gt;neu&lt;/b&gt;." in preview.content.decode()
        assert not Issue.objects.exists()
        saved = owner.post(new.wsgi_request.path, {**compose, "save": "1"})
        owner.post(new.wsgi_request.path, {**compose, "save": "1"})  # the same form twice
        issue = Issue.objects.get()
        send_path = saved["Location"] + "send/"
        owner.post(send_path)
        owner.post(send_path)
        issue.refresh_from_db()
        assert (issue.status, issue.recipients) == ("sending", 1)
        mails.clear()
        worker()
        issue_deliver.call(issue.pk)  # the task run again: nobody mailed twice
        assert len(mails) == 1 and mails[0].rcpt_tos == ["kim@example.org"]
        assert Delivery.objects.filter(issue=issue, sent_at__isnull=False).count() == 1
        issue.refresh_from_db()
        assert issue.status == "sent"
        progress = owner.get(saved["Location"], headers={"HX-Request": "true"})
        assert progress.status_code == 286 and "1 of 1 sent" in progress.content.decode()
        sent = email.message_from_bytes(mails[0].content, policy=email.policy.default)
    assert sent["Subject"] == "Frische Brezeln"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = re.fullmatch(
        r"<(http://localhost:8000(/altdorf/newsletters/unsubscribe/\S+/))>",
        sent["List-Unsubscribe"].strip(),  # folded onto its own line: still one value
    )
    assert target, sent["List-Unsubscribe"]
    body = sent.get_payload(decode=True).decode()
    assert target.group(1) in body and "Ab Montag <b>neu</b>." in body  # plain text
    # A mail program's one-click POST: no session, no CSRF token, no form.
    mail_program = Client(enforce_csrf_checks=True)
    answer = mail_program.post(target.group(2), "List-Unsubscribe=One-Click",
                               content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert answer.status_code == 200
    kim.refresh_from_db()
    assert kim.status == "unsubscribed" and kim.unsubscribed_at is not None
    assert "is unsubscribed" in visitor.get(target.group(2)).content.decode()


def test_only_owners_managers_and_the_operator_write_newsletters(
    client, bob, carol, alice, town_a, shop_a, url
):
    cashier = factories.LoginClient()
    cashier.force_login(carol)
    assert cashier.get(url(town_a, "merchant_newsletter", shop_a.code)).status_code == 403
    owner = factories.LoginClient()
    owner.force_login(bob)
    issues = owner.get(url(town_a, "merchant_newsletter", shop_a.code))["Location"]
    assert owner.get(issues).status_code == 200
    assert cashier.get(issues).status_code == 403
    operator = factories.LoginClient()
    operator.force_login(alice)
    town = operator.get(url(town_a, "operator_newsletter"))["Location"]
    assert operator.get(town).status_code == 200
    assert owner.get(town).status_code == 403
    other = factories.merchant(city=town_a, name="Metzgerei")
    stranger = factories.LoginClient()
    stranger.force_login(
        factories.person("frank@example.org", town_a, "merchant_owner", merchant=other)
    )
    assert stranger.get(issues).status_code == 404
    # Sending with nobody subscribed: refused with a reason.
    code = re.search(r"newsletters/(\w+)/", issues).group(1)
    new = owner.get(url(town_a, "newsletter_issue_new", code))
    key = re.search(r'name="key" value="(\w+)"', new.content.decode()).group(1)
    saved = owner.post(
        new.wsgi_request.path, {"key": key, "subject": "Hallo", "body": "Text", "save": "1"}
    )
    owner.cookies["mp_language"] = "en"
    answer = owner.post(saved["Location"] + "send/", follow=True)
    assert "no confirmed subscribers yet" in answer.content.decode()
    assert Issue.objects.get().status == "draft"
