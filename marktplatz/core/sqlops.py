"""Migration operations for SQL that only PostgreSQL runs."""

from __future__ import annotations

from django.db import migrations


def postgres_sql(forwards_sql: str, backwards_sql: str) -> migrations.RunPython:
    """A migration operation that runs SQL on PostgreSQL only (functions in PL/pgSQL).

    SQLite has no stored procedures: code that calls such a function keeps a Python path
    for SQLite, and the test suite runs on both.
    """

    def run(sql: str):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)

        return operation

    return migrations.RunPython(run(forwards_sql), run(backwards_sql))
