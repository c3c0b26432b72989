"""The chat's pages: a citizen's conversations, one conversation (for its citizen and for
the business's staff), the business's inbox with its canned replies and away message, and
the operator's reported messages.

Every page works with plain form posts; htmx and the WebSocket (``chat.consumers``) make it
instant, and without the socket the page polls ``conversation_poll``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import city_required, role_required
from marktplatz.accounts.selectors import is_operator, manages_business
from marktplatz.chat import selectors, services
from marktplatz.chat.forms import (
    AssignForm,
    AwayForm,
    CannedReplyForm,
    MessageForm,
    ReportForm,
    StateForm,
)
from marktplatz.chat.models import Conversation, Message
from marktplatz.merchants import selectors as merchants

Side = Message.Side
PAGE_SIZE = 25


@city_required
@login_required
def conversations(request):
    page = Paginator(selectors.conversations_of(citizen=request.user), PAGE_SIZE)
    return render(
        request,
        "chat/conversations.html",
        {"page": page.get_page(request.GET.get("page"))},
    )


@city_required
@login_required
@require_POST
def conversation_start(request, code):
    """The "write a message" button of a business's page."""
    merchant = merchants.public_merchant(code=code)
    conversation = services.conversation_open(citizen=request.user, merchant=merchant)
    return redirect("conversation", conversation.code)


def _conversation_context(request, conversation, side, form=None) -> dict:
    history = selectors.messages_of(conversation=conversation)
    other_read = conversation.merchant_read if side == Side.CITIZEN else conversation.citizen_read
    context = {
        "conversation": conversation,
        "viewer_side": side,
        "history": history,
        "other_read": other_read,
        "last_id": history[-1].pk if history else 0,
        "form": form or MessageForm(initial={"key": uuid.uuid4().hex}),
        "state_now": conversation.state_at(timezone.now()),
        "ws_path": f"{get_script_prefix()}ws/chat/{conversation.code}/",
    }
    if side == Side.MERCHANT:
        role = selectors.access_inbox(user=request.user, code=conversation.merchant.code)[1]
        context.update(
            may_manage=manages_business(role),
            state_form=StateForm(
                initial={"state": conversation.state, "snoozed_until": conversation.snoozed_until}
            ),
            assign_form=AssignForm(
                initial={"assignee": conversation.assignee_id},
                staff=selectors.staff_of(merchant=conversation.merchant),
            ),
            replies=selectors.canned_replies(merchant=conversation.merchant),
        )
        chosen = request.GET.get("reply")
        if chosen and form is None:
            reply = selectors.canned_replies(merchant=conversation.merchant).filter(code=chosen)
            if reply:
                context["form"] = MessageForm(
                    initial={"key": uuid.uuid4().hex, "body": reply[0].body}
                )
    return context


@city_required
@login_required
def conversation(request, code):
    found, side = selectors.access_conversation(user=request.user, code=code)
    context = _conversation_context(request, found, side)
    if context["last_id"]:
        services.conversation_read(
            conversation=found, side=side, upto=context["last_id"], reader=request.user
        )
    return render(request, "chat/conversation.html", context)


@city_required
@login_required
@require_POST
def conversation_send(request, code):
    found, side = selectors.access_conversation(user=request.user, code=code)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message, _created = services.message_post(
                conversation=found,
                sender=request.user,
                side=side,
                body=form.cleaned_data["body"],
                image=form.cleaned_data["image"],
                form_key=form.cleaned_data["key"],
            )
        except services.ChatRefused as refused:
            form.add_error(None, refused.message)
        else:
            if request.htmx:
                fresh = MessageForm(initial={"key": uuid.uuid4().hex})
                return render(
                    request,
                    "chat/_sent.html",
                    {"conversation": found, "form": fresh, "message": message, "viewer_side": side},
                )
            return redirect("conversation", found.code)
    status = 200 if request.htmx else 400
    if request.htmx:
        return render(
            request, "chat/_form.html", {"conversation": found, "form": form}, status=status
        )
    context = _conversation_context(request, found, side, form=form)
    return render(request, "chat/conversation.html", context, status=status)


@city_required
@login_required
def conversation_poll(request, code):
    """The messages after ``?after=<id>`` as HTML (the page's fallback without a socket);
    the other side's read receipt in the ``X-Read-Upto`` header."""
    found, side = selectors.access_conversation(user=request.user, code=code)
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return HttpResponse(_("after must be a message number."), status=400)
    found.refresh_from_db()
    fresh = selectors.messages_of(conversation=found, after=after)
    body = "".join(
        render_to_string(
            "chat/_message.html",
            {"message": message, "viewer_side": side, "city": request.city},
            request=request,
        )
        for message in fresh
    )
    response = HttpResponse(body)
    response["X-Read-Upto"] = str(
        found.merchant_read if side == Side.CITIZEN else found.citizen_read
    )
    response["Cache-Control"] = "no-store"
    return response


@city_required
@login_required
@require_POST
def conversation_read(request, code):
    found, side = selectors.access_conversation(user=request.user, code=code)
    try:
        upto = int(request.POST.get("upto", ""))
    except ValueError:
        return HttpResponse(_("upto must be a message number."), status=400)
    services.conversation_read(conversation=found, side=side, upto=upto, reader=request.user)
    return HttpResponse(status=204)


def _staff_conversation(request, code, *, manage: bool = False):
    found, side = selectors.access_conversation(user=request.user, code=code)
    if side != Side.MERCHANT:
        raise PermissionDenied
    if manage:
        role = selectors.access_inbox(user=request.user, code=found.merchant.code)[1]
        if not manages_business(role):
            raise PermissionDenied
    return found


def _back(request, found, error: str | None = None):
    if error:
        messages.error(request, error)
    return redirect("conversation", found.code)


@city_required
@login_required
@require_POST
def conversation_state(request, code):
    found = _staff_conversation(request, code)
    form = StateForm(request.POST)
    if not form.is_valid():
        return _back(request, found, _("Choose a state (and for snoozing, a time)."))
    try:
        services.conversation_set_state(
            conversation=found,
            state=form.cleaned_data["state"],
            snoozed_until=form.cleaned_data["snoozed_until"],
            actor=request.user,
        )
    except services.ChatRefused as refused:
        return _back(request, found, refused.message)
    return _back(request, found)


@city_required
@login_required
@require_POST
def conversation_assign(request, code):
    found = _staff_conversation(request, code)
    form = AssignForm(request.POST, staff=selectors.staff_of(merchant=found.merchant))
    if not form.is_valid():
        return _back(request, found, _("Choose a member of staff."))
    services.conversation_assign(
        conversation=found, assignee=form.cleaned_data["assignee"], actor=request.user
    )
    return _back(request, found)


@city_required
@login_required
@require_POST
def conversation_block(request, code):
    found = _staff_conversation(request, code, manage=True)
    blocked = request.POST.get("blocked") == "1"
    services.citizen_block(conversation=found, blocked=blocked, actor=request.user)
    return _back(request, found)


@city_required
@login_required
def message_report(request, code, message):
    found, side = selectors.access_conversation(user=request.user, code=code)
    reported = selectors.message_in(conversation=found, code=message)
    if reported.side == side:
        raise Http404("one's own message")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.message_report(
            message=reported, reporter=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Thank you. The town's team will look at this message."))
        return redirect("conversation", found.code)
    return render(
        request, "chat/report.html", {"conversation": found, "reported": reported, "form": form}
    )


@city_required
@login_required
def message_picture(request, code, message):
    """A message's picture, for the two sides of the conversation only."""
    found, _side = selectors.access_conversation(user=request.user, code=code)
    shown = selectors.message_in(conversation=found, code=message)
    if not shown.image:
        raise Http404("no picture")
    response = FileResponse(shown.image.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@city_required
@login_required
def inbox(request, code):
    merchant, role = selectors.access_inbox(user=request.user, code=code)
    show = request.GET.get("show", "open")
    if show not in selectors.INBOX_FILTERS:
        show = "open"
    now = timezone.now()
    rows = selectors.inbox(merchant=merchant, show=show, user=request.user, now=now)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "merchant": merchant,
        "show": show,
        "page": page,
        "now": now,
        "tabs": [
            ("open", _("Open")),
            ("mine", _("Assigned to me")),
            ("pending", _("Pending")),
            ("snoozed", _("Snoozed")),
            ("resolved", _("Resolved")),
            ("all", _("All")),
        ],
        "counts": selectors.inbox_counts(merchant=merchant, user=request.user, now=now),
        "may_manage": manages_business(role),
        "states": dict(Conversation.State.choices),
        "ws_path": f"{get_script_prefix()}ws/inbox/{merchant.code}/",
    }
    template = "chat/_inbox_list.html" if request.htmx else "chat/inbox.html"
    return render(request, template, context)


@city_required
@login_required
def inbox_replies(request, code):
    """Canned replies and the away message (owners and managers)."""
    merchant, role = selectors.access_inbox(user=request.user, code=code)
    if not manages_business(role):
        raise PermissionDenied
    reply_form = CannedReplyForm(prefix="reply")
    away_form = AwayForm(
        prefix="away", initial={"away_message": selectors.away_message_of(merchant=merchant)}
    )
    if request.method == "POST":
        if "away-away_message" in request.POST:
            away_form = AwayForm(request.POST, prefix="away")
            if away_form.is_valid():
                services.away_message_save(
                    merchant=merchant,
                    text=away_form.cleaned_data["away_message"],
                    actor=request.user,
                )
                messages.success(request, _("The away message is saved."))
                return redirect("inbox_replies", merchant.code)
        else:
            reply_form = CannedReplyForm(request.POST, prefix="reply")
            if reply_form.is_valid():
                try:
                    services.canned_reply_save(
                        merchant=merchant,
                        title=reply_form.cleaned_data["title"],
                        body=reply_form.cleaned_data["body"],
                        actor=request.user,
                    )
                except services.ChatRefused as refused:
                    reply_form.add_error(None, refused.message)
                else:
                    messages.success(request, _("The canned reply is saved."))
                    return redirect("inbox_replies", merchant.code)
    return render(
        request,
        "chat/replies.html",
        {
            "merchant": merchant,
            "replies": selectors.canned_replies(merchant=merchant),
            "reply_form": reply_form,
            "away_form": away_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@city_required
@login_required
@require_POST
def inbox_reply_delete(request, code, reply):
    merchant, role = selectors.access_inbox(user=request.user, code=code)
    found = selectors.canned_reply_of(merchant=merchant, code=reply)
    if not manages_business(role):
        raise PermissionDenied
    services.canned_reply_delete(reply=found, actor=request.user)
    messages.success(request, _("The canned reply is deleted."))
    return redirect("inbox_replies", merchant.code)


@role_required(*OPERATOR_KINDS)
def operator_reports(request):
    handled = request.GET.get("handled") == "1"
    page = Paginator(selectors.reports(handled=handled), PAGE_SIZE)
    return render(
        request,
        "chat/reports.html",
        {"page": page.get_page(request.GET.get("page")), "handled": handled},
    )


@city_required
@login_required
@require_POST
def operator_report_handled(request, report):
    found = selectors.report_of(code=report)  # another town's: a 404 for everybody
    if not is_operator(user=request.user):
        raise PermissionDenied
    services.report_handle(report=found, actor=request.user)
    return redirect(reverse("operator_chat_reports"))
