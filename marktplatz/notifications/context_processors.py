from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from marktplatz.notifications.selectors import unread_count


def unread(request: HttpRequest) -> dict:
    """``notifications_unread``: the person's unread notifications in the town (counted
    only if a page shows it)."""
    user = getattr(request, "user", None)
    if getattr(request, "city", None) is None or not (user and user.is_authenticated):
        return {"notifications_unread": 0}
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user=user))}
