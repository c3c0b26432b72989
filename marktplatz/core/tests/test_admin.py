import pytest

from marktplatz.testing import factories

ADMIN_PAGES = [
    "/admin/",
    "/admin/cities/city/",
    "/admin/cities/department/",
    "/admin/accounts/user/",
    "/admin/accounts/role/",
    "/admin/accounts/invitation/",
    "/admin/merchants/merchant/",
    "/admin/merchants/employer/",
    "/admin/audit/auditevent/",
]


@pytest.fixture
def root(db):
    account = factories.user("root@example.org", totp=True)
    account.is_staff = account.is_superuser = True
    account.save()
    return account


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_it_shows_the_admin_to_platform_superusers_across_towns(client, root, shop_a, shop_b, page):
    client.force_login(root)
    response = client.get(page)
    assert response.status_code == 200


def test_it_lists_merchants_of_every_town_in_the_admin(client, root, shop_a, shop_b):
    client.force_login(root)
    content = client.get("/admin/merchants/merchant/").content.decode()
    assert "Bäckerei Alt" in content
    assert "Bäckerei Berg" in content


def test_it_keeps_town_staff_out_of_the_admin(client, alice):
    client.force_login(alice)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_it_sends_anonymous_visitors_to_the_allauth_login(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/"


def test_it_makes_a_superuser_without_totp_set_it_up(client, db):
    account = factories.user("newroot@example.org")
    account.is_staff = account.is_superuser = True
    account.save()
    client.force_login(account)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/2fa/totp/activate/")
