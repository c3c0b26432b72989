import pytest

from marktplatz.ledger.services import account_open, ledger_for


@pytest.fixture
def points(town_a):
    return ledger_for(city=town_a, asset="points")


@pytest.fixture
def accounts(points):
    """An issuer that may go negative and three accounts that may not."""
    return {
        "issuer": account_open(
            ledger=points, kind="issuance", reference="issuer", allow_negative=True
        ),
        "anna": account_open(ledger=points, kind="customer", reference="anna"),
        "ben": account_open(ledger=points, kind="customer", reference="ben"),
        "shop": account_open(ledger=points, kind="merchant", reference="shop"),
    }
