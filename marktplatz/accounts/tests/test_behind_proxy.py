"""Behind a reverse proxy every visitor connects from the proxy's address: the limits of
logins and balance checks must count each visitor, not the proxy."""

import pytest

from marktplatz.testing.factories import TEST_PASSWORD

PROXY = "10.0.0.2"


def _login(client, visitor: str, email: str, password: str):
    return client.post(
        "/altdorf/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=visitor,
    )


def _failures_from_ten_visitors(client):
    for n in range(10):
        failed = _login(client, f"198.51.100.{n}", f"nobody{n}@example.org", "wrong password")
        assert failed.status_code == 200
        assert not failed.wsgi_request.user.is_authenticated


def test_ten_visitors_failing_do_not_lock_out_the_next_one(client, settings, dave):
    settings.BEHIND_PROXY = True
    _failures_from_ten_visitors(client)
    ok = _login(client, "198.51.100.200", "dave@example.org", TEST_PASSWORD)
    assert ok.status_code == 302
    assert ok.wsgi_request.user == dave


def test_one_visitor_failing_often_is_locked_out(client, settings, dave):
    settings.BEHIND_PROXY = True
    for n in range(10):
        _login(client, "198.51.100.7", f"nobody{n}@example.org", "wrong password")
    locked = _login(client, "198.51.100.7", "dave@example.org", TEST_PASSWORD)
    assert not locked.wsgi_request.user.is_authenticated
    # Only that visitor: another one behind the same proxy logs in.
    ok = _login(client, "198.51.100.8", "dave@example.org", TEST_PASSWORD)
    assert ok.status_code == 302


def test_a_forged_header_is_ignored_without_a_proxy(client, settings, dave):
    settings.BEHIND_PROXY = False
    # Ten failures from one address, each claiming another origin: still one address.
    _failures_from_ten_visitors(client)
    refused = _login(client, "198.51.100.200", "dave@example.org", TEST_PASSWORD)
    assert not refused.wsgi_request.user.is_authenticated


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_balance_checks_count_each_visitor_behind_the_proxy(client, settings, town_a, behind_proxy):
    from marktplatz.vouchers.views import BALANCE_CHECKS

    settings.BEHIND_PROXY = behind_proxy
    for _n in range(BALANCE_CHECKS):
        checked = client.post(
            "/altdorf/vouchers/balance/",
            {"code": "MPV1-0000-0000-0000-0000-0000"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
        assert checked.status_code == 200
    other_visitor = client.post(
        "/altdorf/vouchers/balance/",
        {"code": "MPV1-0000-0000-0000-0000-0000"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    # Behind the proxy the second visitor has their own limit; without it, the forged
    # header changes nothing and the address (the proxy's) is used up.
    assert other_visitor.status_code == (200 if behind_proxy else 429)
