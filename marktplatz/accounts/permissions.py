"""View decorators: a town is required, a login is required, a role is required."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from marktplatz.accounts.selectors import role_kinds


def city_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.city is None:
            raise Http404("no town")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*kinds: str):
    """Let the view run only for people holding one of ``kinds`` in the request's town."""

    def decorator(view):
        @wraps(view)
        @city_required
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not role_kinds(user=request.user) & set(kinds):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
