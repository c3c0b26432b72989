from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from marktplatz.notifications.models import Notification, Preference


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-pk")


def access_notification(*, user: Any, pk: int) -> Notification:
    from django.http import Http404

    found = Notification.objects.filter(user=user, pk=pk).first()
    if found is None:
        raise Http404("no such notification")
    return found


def chosen(*, user: Any) -> set[tuple[str, str]]:
    """The (kind, channel) pairs ``user`` switched on."""
    return set(Preference.objects.filter(user=user, enabled=True).values_list("kind", "channel"))


def devices_of(*, user: Any) -> list:
    from marktplatz.notifications.models import PushSubscription

    return list(PushSubscription.objects.filter(user=user).order_by("-created_at"))
