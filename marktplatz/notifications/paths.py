"""Addresses of pages inside a town, kept without the town's prefix (``/orders/x/``): a
notification made during a request to /altdorf/… and mailed by a task links the same."""

from __future__ import annotations

from django.urls import get_script_prefix, reverse


def town_path(name: str, *args: object) -> str:
    path = reverse(name, args=args)
    prefix = get_script_prefix()
    return "/" + path[len(prefix) :] if path.startswith(prefix) else path


def page_path(path: str) -> str:
    """A town path as the current request addresses it (with the town's prefix)."""
    return get_script_prefix() + path.lstrip("/")
