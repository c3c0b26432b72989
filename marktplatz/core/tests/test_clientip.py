"""The visitor's address: from X-Forwarded-For only behind a proxy, read from the right."""

import pytest
from django.test import RequestFactory

from marktplatz.core.clientip import client_address


def _request(forwarded=None, remote="10.0.0.1"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_it_ignores_the_header_when_not_behind_a_proxy(settings):
    settings.BEHIND_PROXY = False
    assert client_address(_request("203.0.113.7")) == "10.0.0.1"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        # What the client sent itself stands left of what our proxy appended.
        (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (2, "1.2.3.4, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        # Fewer entries than hops: the leftmost one was still written by our proxy.
        (2, "203.0.113.7", "203.0.113.7"),
        (1, "1.2.3.4, [2001:db8::1]:443", "2001:db8::1"),
        (1, "1.2.3.4, 203.0.113.7:51234", "203.0.113.7"),
        # No address where our proxy writes one: the proxy's own address, never the rest.
        (1, "203.0.113.7, unknown", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_it_takes_the_entry_the_trusted_proxy_wrote(settings, hops, forwarded, expected):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_HOPS = hops
    assert client_address(_request(forwarded)) == expected


def test_it_uses_the_connection_without_a_header(settings):
    settings.BEHIND_PROXY = True
    assert client_address(_request()) == "10.0.0.1"
