"""The benchmark's anchor: the least a POS API write can cost on this server stack.

``POST /<town>/api/pos/v1/bench/anchor`` authenticates the till's key exactly like every
other endpoint and writes one row in one transaction, into a table that only the
benchmark creates (``bench_anchor``). bench/booking drives it with the same load as the
earn bookings, so the ratio between the two shows what a booking costs beyond the
unavoidable (request, key check, one write). Mounted only with ``POS_BENCH_ANCHOR=true``,
which nothing but the benchmark sets.
"""

from __future__ import annotations

from django.db import connection, transaction
from ninja import Schema

from marktplatz.api.pos import api


class AnchorIn(Schema):
    card: str
    amount: int
    currency: str


class AnchorOut(Schema):
    id: int


@api.post("/bench/anchor", response={201: AnchorOut}, include_in_schema=False)
def anchor(request, payload: AnchorIn):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_anchor (key_id, card, amount, created_at)"
            " VALUES (%s, %s, %s, now()) RETURNING id",
            [request.auth.pk, payload.card[:64], payload.amount],
        )
        (row_id,) = cursor.fetchone()
    return 201, {"id": row_id}
