import pytest

from marktplatz.api.services import terminal_key_create
from marktplatz.loyalty import services as loyalty


@pytest.fixture
def terminal(shop_a, bob):
    _key, token = terminal_key_create(merchant=shop_a, name="Kasse 1", actor=bob)
    return token


@pytest.fixture
def pos(client, terminal):
    """POST/GET to the POS API of town A with the terminal key."""

    class Pos:
        def get(self, path, token=terminal):
            return client.get(f"/altdorf/api/pos/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")

        def post(self, path, body, key="key-00000001", token=terminal, prefix="/altdorf"):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if key is not None:
                headers["HTTP_IDEMPOTENCY_KEY"] = key
            return client.post(
                f"{prefix}/api/pos/v1{path}", body, content_type="application/json", **headers
            )

    return Pos()


@pytest.fixture
def card(town_a, dave):
    return loyalty.member_for_user(city=town_a, user=dave).cards.get()
