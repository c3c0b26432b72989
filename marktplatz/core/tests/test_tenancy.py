import pytest

from marktplatz.core.tenancy import ScopeError, city_scope, scopes_disabled
from marktplatz.merchants.models import Merchant


def test_it_refuses_a_query_outside_any_scope(shop_a):
    from marktplatz.core.tenancy import _UNSET, _active

    token = _active.set(_UNSET)
    try:
        with pytest.raises(ScopeError):
            list(Merchant.objects.all())
    finally:
        _active.reset(token)


def test_it_refuses_a_query_in_a_town_less_scope(shop_a):
    with city_scope(None), pytest.raises(ScopeError):
        Merchant.objects.count()


def test_it_confines_queries_to_the_active_town(shop_a, shop_b, town_a, town_b):
    with city_scope(town_a):
        assert list(Merchant.objects.values_list("name", flat=True)) == ["Bäckerei Alt"]
        assert Merchant.objects.filter(code=shop_b.code).first() is None
    with city_scope(town_b):
        assert list(Merchant.objects.values_list("name", flat=True)) == ["Bäckerei Berg"]


def test_it_lets_disabled_scopes_see_every_town(shop_a, shop_b):
    with scopes_disabled():
        assert Merchant.objects.count() == 2


def test_it_scopes_related_managers_too(town_a, town_b, shop_a, bob):
    with city_scope(town_b):
        assert list(bob.roles.all()) == []
    with city_scope(town_a):
        assert [r.kind for r in bob.roles.all()] == ["merchant_owner"]


def test_the_memo_drops_expired_entries_when_it_grows(monkeypatch):
    from marktplatz.core import memo

    monkeypatch.setattr(memo, "PRUNE_ABOVE", 3)
    for host in ("a", "b", "c"):
        memo.remember(("host", host), -1, lambda: None)  # already expired
    memo.remember(("host", "d"), 60, lambda: "kept")
    assert [k for k in memo._store if k[0] == "host"] == [("host", "d")]
