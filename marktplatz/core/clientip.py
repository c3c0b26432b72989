"""The address of the visitor: the one source for every rate limit, throttle and log line.

Behind a reverse proxy every connection comes from the proxy, so ``REMOTE_ADDR`` is the
same for everybody and a limit per address would be one limit for the whole town. With
``BEHIND_PROXY`` the address is read from ``X-Forwarded-For``, from the right: each proxy
appends the address it saw the connection come from, so the entry ``TRUSTED_PROXY_HOPS``
places from the right was written by our outermost proxy. Entries further left are
whatever the client sent and are never believed. Without ``BEHIND_PROXY`` the header is
ignored (anyone could send one).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(entry: str) -> str | None:
    """The address of one X-Forwarded-For entry, without a port; None if it is none."""
    entry = entry.strip()
    if entry.startswith("["):  # [2001:db8::1]:443
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:  # 203.0.113.7:51234
        entry = entry.partition(":")[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The visitor's IP address, as far as this installation can trust it."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not settings.BEHIND_PROXY:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    hops = max(settings.TRUSTED_PROXY_HOPS, 1)
    # Fewer entries than hops: the request passed fewer proxies than configured; the
    # leftmost entry is then still one our own proxies wrote.
    found = _clean(entries[-hops] if len(entries) >= hops else entries[0])
    # An entry that is no address means a misconfigured proxy: fall back to the proxy's
    # own address (one shared limit) rather than a value a client may have chosen.
    return found or remote


def address_prefix(address: str) -> str:
    """The network of an address, as kept with a consent: /24 of IPv4, /48 of IPv6 (enough
    to tell where a consent came from, not whose device it was)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def request_network(request: HttpRequest) -> str:
    """The client's network (``address_prefix``) of a request, behind the proxy too."""
    return address_prefix(client_address(request))


def consent_source(request: HttpRequest) -> str:
    """Where a consent was given, as it is kept: the page and the client's network."""
    return f"{request.path} {request_network(request)}".strip()
