"""SQL helpers: migration operations only PostgreSQL runs, and bulk row writes."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, migrations


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


def prepared_row(sql: str, params: Sequence) -> tuple | None:
    """One row of ``sql`` (PostgreSQL only) as a prepared statement of the connection.

    For a statement that runs on every booking (``SELECT * FROM loyalty_earn(...)``):
    PostgreSQL parses and plans it once per connection and the parameters travel bound,
    not quoted into the text, which Django's cursors do for every call. Same connection
    and transaction as Django's cursors; errors come as Django's database errors.
    ``sql`` uses ``%s`` placeholders with a cast each (``%s::bigint``): the types of a
    prepared statement must not depend on the first values it saw.
    """
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


def rows_insert(model: type, columns: Sequence[str], rows: list[tuple]) -> None:
    """Write ``rows`` into ``model``'s table without model instances (imports, the
    settlement): PostgreSQL's COPY, elsewhere one INSERT per row sent together. Values
    must be ready for the database (JSON as text)."""
    if not rows:
        return
    table = model._meta.db_table
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
            rows,
        )


def new_ids(model: type, count: int) -> list[int]:
    """``count`` primary keys for rows written with explicit ids (call inside the
    transaction: on SQLite it holds the write lock, so nobody else takes the same)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))
