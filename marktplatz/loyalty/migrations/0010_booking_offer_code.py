"""A purchase keeps the offer it used at the till (``Booking.offer_code``).

``loyalty_earn`` takes the offer's code as its last argument and writes it onto the
booking; its bonus points come in with the points (``p_points``), so the rules of the
function are those of 0009 otherwise. The function text is 0009's with these changes.
"""

from importlib import import_module

from django.db import migrations, models

from marktplatz.core.immutable import append_only_after_rebuild
from marktplatz.core.sqlops import postgres_sql

LEAN = import_module("marktplatz.loyalty.migrations.0009_lean_earn")


def _changed(sql: str, changes: list[tuple[str, str]]) -> str:
    for old, new in changes:
        if sql.count(old) != 1:
            raise ValueError(f"0010: expected one {old!r} in 0009's function")
        sql = sql.replace(old, new)
    return sql


FORWARDS = _changed(
    LEAN.FORWARDS,
    [
        ("p_now timestamptz, p_codes text[],\n", "p_now timestamptz, p_codes text[], p_offer text,\n"),
        (
            "shortfall, transaction_id, reason, created_at)",
            "shortfall, transaction_id, reason, offer_code, created_at)",
        ),
        ("v_post.transaction_id, '', p_now)", "v_post.transaction_id, '', p_offer, p_now)"),
    ],
)

BACKWARDS = (
    """
DROP FUNCTION IF EXISTS loyalty_earn(bigint, bigint, bigint, bigint, text, text, bigint, bigint,
    bigint, timestamptz, timestamptz, text, text, text, bigint, text, timestamptz, text[], text);
"""
    + LEAN.FORWARDS
)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0009_lean_earn")]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="offer_code",
            field=models.CharField(blank=True, db_default="", default="", max_length=16),
        ),
        append_only_after_rebuild("loyalty_booking"),
        postgres_sql(FORWARDS, BACKWARDS),
    ]
