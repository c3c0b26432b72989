import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from marktplatz.merchants.hours import is_open_at, parse_day


def test_it_parses_split_days():
    assert parse_day("08:00-12:00, 14:00 - 18:30") == [["08:00", "12:00"], ["14:00", "18:30"]]
    assert parse_day("") == []
    assert parse_day("00:00-24:00") == [["00:00", "24:00"]]


@pytest.mark.parametrize("text", ["12:00-08:00", "25:00-26:00", "08:00-12:00, 11:00-13:00", "x"])
def test_it_rejects_impossible_hours(text):
    with pytest.raises(ValidationError):
        parse_day(text)


def test_it_knows_whether_a_shop_is_open():
    hours = {"mon": [["09:00", "12:00"]]}
    monday = dt.datetime(2026, 11, 23, 10, 30)
    assert is_open_at(hours, monday)
    assert not is_open_at(hours, monday.replace(hour=12))
    assert not is_open_at(hours, monday + dt.timedelta(days=1))
