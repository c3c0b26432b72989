"""Reading statements: the access helpers the settlement views go through."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from marktplatz.settlement.models import Statement


def access_statement(*, merchant: Any, number: str) -> Statement:
    """The statement ``number`` of ``merchant`` (already checked with access_merchant)."""
    statement = Statement.objects.filter(merchant=merchant, code=number).first()
    if statement is None:
        raise Http404("no such statement")
    return statement
