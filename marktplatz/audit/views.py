from django.core.paginator import Paginator
from django.shortcuts import render

from marktplatz.accounts.models import RoleKind
from marktplatz.accounts.permissions import role_required
from marktplatz.audit import selectors
from marktplatz.audit.forms import AuditFilterForm

PAGE_SIZE = 50


@role_required(RoleKind.OPERATOR_ADMIN)
def audit_log(request):
    form = AuditFilterForm(
        request.GET or None,
        actions=selectors.audit_actions(),
        object_types=selectors.audit_object_types(),
    )
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "action": data["action"],
            "object_type": data["object_type"],
            "actor_email": data["actor"],
            "since": data["since"],
            "until": data["until"],
        }
    events = selectors.audit_events(**filters).select_related(None)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "audit/_events.html" if request.htmx else "audit/log.html"
    return render(request, template, {"form": form, "page": page})
