"""The operator's register number, which names the seller on e-invoices (BR-CO-26)."""

import pytest
from django.core.exceptions import ValidationError

from marktplatz.cities.models import validate_registration_id


def test_a_swiss_uid_needs_its_check_digit_other_registers_are_free_text():
    validate_registration_id("CHE-116.281.710")
    validate_registration_id("CHE-116.281.710 MWST")
    validate_registration_id("HRB 4711, Amtsgericht Freiburg")
    with pytest.raises(ValidationError):
        validate_registration_id("CHE-116.281.711")
