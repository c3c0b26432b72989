"""The in-process memo keeps nothing that a rolled-back transaction computed."""

import pytest
from django.db import transaction

from marktplatz.core.memo import forget_all, remember


@pytest.fixture(autouse=True)
def _empty_memo():
    forget_all()
    yield
    forget_all()


def test_it_keeps_a_value_computed_outside_a_transaction():
    assert remember(("t", 1), 60, lambda: "first") == "first"
    assert remember(("t", 1), 60, lambda: "second") == "first"


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_value_only_once_its_transaction_commits():
    with transaction.atomic():
        assert remember(("t", 2), 60, lambda: "in transaction") == "in transaction"
    assert remember(("t", 2), 60, lambda: "later") == "in transaction"


@pytest.mark.django_db(transaction=True)
def test_it_forgets_what_a_rolled_back_transaction_computed():
    # An account opened inside a booking that fails disappears with the rollback; its
    # memo must not outlive it (its primary key would be given to the next new row).
    with pytest.raises(RuntimeError), transaction.atomic():
        remember(("t", 3), 60, lambda: "rolled back")
        raise RuntimeError
    assert remember(("t", 3), 60, lambda: "fresh") == "fresh"
