"""Newsletter pages: subscribing (public), confirming and unsubscribing by the links in
the mails (the unsubscribe address also takes RFC 8058's one-click POST, without a
form), and for the business's owners and managers (the operator for the town's) the
issues: write with a preview, send, watch the progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marktplatz.accounts.permissions import city_required
from marktplatz.accounts.selectors import is_operator, manages_business, merchant_role
from marktplatz.core.clientip import consent_source, request_network
from marktplatz.core.throttle import count_attempt, over_limit
from marktplatz.merchants import selectors as merchants
from marktplatz.newsletters import selectors, services
from marktplatz.newsletters.forms import IssueForm, SubscribeForm

SUBSCRIBES_PER_HOUR = 20  # per network address: nobody fills others' inboxes


def _public_newsletter(request, code):
    """The newsletter ``code`` of a public business, or the town's."""
    newsletter = selectors.access_newsletter(code=code)
    if newsletter.merchant_id and not newsletter.merchant.is_public:
        raise Http404("no such newsletter")
    return newsletter


@city_required
def subscribe(request, code):
    newsletter = _public_newsletter(request, code)
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        scope = f"newsletter-subscribe:{request_network(request)}"
        if over_limit(scope, SUBSCRIBES_PER_HOUR):
            form.add_error(None, _("Too many attempts. Please try again in an hour."))
            status = 429
        elif form.is_valid():
            count_attempt(scope, 3600)
            services.subscribe(
                newsletter=newsletter,
                email=form.cleaned_data["email"],
                source=consent_source(request),
            )
            return render(request, "newsletters/check_mail.html", {"newsletter": newsletter})
        else:
            status = 400
    return render(
        request,
        "newsletters/subscribe.html",
        {"newsletter": newsletter, "form": form, "consent": services.consent_text(newsletter)},
        status=status,
    )


def _subscriber(code, token):
    subscriber = selectors.public_subscriber(code=code)
    if not services.token_valid(subscriber, token):
        raise Http404("no such link")
    return subscriber


@city_required
def confirm(request, code, token):
    """The link of the confirmation mail: a page with a button (a link opened by a mail
    scanner confirms nothing)."""
    subscriber = _subscriber(code, token)
    if request.method == "POST":
        services.confirm(subscriber=subscriber, source=request_network(request))
    return render(request, "newsletters/confirm.html", {"subscriber": subscriber})


@csrf_exempt  # RFC 8058: the mail program posts "List-Unsubscribe=One-Click", no form
@city_required
def unsubscribe(request, code, token):
    subscriber = _subscriber(code, token)
    if request.method == "POST":
        services.unsubscribe(subscriber=subscriber)
    return render(request, "newsletters/unsubscribe.html", {"subscriber": subscriber})


def _managed(request, code):
    """The newsletter ``code`` for somebody who may write it: owners and managers of its
    business, the operator for the town's. Others: 404 (another business) or 403."""
    newsletter = selectors.access_newsletter(code=code)
    if newsletter.merchant_id:
        role = merchant_role(user=request.user, merchant=newsletter.merchant)
        if role is None:
            raise Http404("no such newsletter")
        if not manages_business(role):
            raise PermissionDenied
    elif not is_operator(user=request.user):
        raise PermissionDenied
    return newsletter


@city_required
@login_required
def merchant_newsletter(request, code):
    merchant = merchants.access_merchant(user=request.user, code=code, manage=True)
    newsletter = services.newsletter_of(city=request.city, merchant=merchant)
    return redirect("newsletter_issues", newsletter.code)


@city_required
@login_required
def town_newsletter(request):
    if not is_operator(user=request.user):
        raise PermissionDenied
    newsletter = services.newsletter_of(city=request.city)
    return redirect("newsletter_issues", newsletter.code)


@city_required
@login_required
def issues(request, code):
    newsletter = _managed(request, code)
    return render(
        request,
        "newsletters/issues.html",
        {
            "newsletter": newsletter,
            "issues": selectors.issues_of(newsletter=newsletter),
            "counts": selectors.subscriber_counts(newsletter=newsletter),
            "subscribe_url": request.build_absolute_uri(
                reverse("newsletter_subscribe", args=[code])
            ),
        },
    )


def _compose(request, newsletter, issue=None):
    initial = {"subject": issue.subject, "body": issue.body} if issue else None
    form = IssueForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = form.cleaned_data
        else:
            try:
                saved = services.issue_save(
                    newsletter=newsletter, actor=request.user, issue=issue,
                    subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                    form_key=form.cleaned_data["key"] or "",
                )  # fmt: skip
            except services.NewsletterRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("The newsletter is saved as a draft."))
                return redirect("newsletter_issue", newsletter.code, saved.code)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "newsletters/compose.html",
        {"newsletter": newsletter, "form": form, "preview": preview, "issue": issue},
        status=status,
    )


@city_required
@login_required
def issue_new(request, code):
    return _compose(request, _managed(request, code))


@city_required
@login_required
def issue_detail(request, code, issue):
    newsletter = _managed(request, code)
    found = selectors.access_issue(newsletter=newsletter, code=issue)
    if found.status == found.Status.DRAFT and request.method == "POST":
        return _compose(request, newsletter, found)
    context = {
        "newsletter": newsletter,
        "issue": found,
        "progress": selectors.progress(issue=found),
        "counts": selectors.subscriber_counts(newsletter=newsletter),
        "form": IssueForm(initial={"subject": found.subject, "body": found.body}),
    }
    if request.htmx:
        # 286 tells htmx to stop asking once everything is sent.
        status = 286 if found.status == found.Status.SENT else 200
        return render(request, "newsletters/_progress.html", context, status=status)
    return render(request, "newsletters/issue.html", context)


@city_required
@login_required
@require_POST
def issue_send(request, code, issue):
    newsletter = _managed(request, code)
    found = selectors.access_issue(newsletter=newsletter, code=issue)
    try:
        services.issue_send(issue=found, actor=request.user)
    except services.NewsletterRefused as refused:
        messages.error(request, refused.message)
    return redirect("newsletter_issue", newsletter.code, found.code)
