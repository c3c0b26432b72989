"""Append-only rows: refused in Python here and in the database by ``append_only_sql``."""

from __future__ import annotations

from django.db import migrations, models


class AppendOnlyError(RuntimeError):
    pass


class Immutable(models.Model):
    """Rows that are written once and never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


def append_only(table: str) -> migrations.RunPython:
    """A migration operation installing triggers that refuse UPDATE (and DELETE) on ``table``.

    PostgreSQL refuses UPDATE and DELETE (TRUNCATE, which test databases use between
    tests, stays possible for the table owner). SQLite refuses UPDATE only: its test
    databases are emptied with DELETE; the model still refuses delete() there.
    """
    trigger = f"{table}_append_only"

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(
                "CREATE OR REPLACE FUNCTION marktplatz_append_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'append-only table: % refused on %', TG_OP, TG_TABLE_NAME; "
                "END; $$ LANGUAGE plpgsql",
                params=None,
            )
            schema_editor.execute(
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION marktplatz_append_only()",
                params=None,
            )
        elif vendor == "sqlite":
            schema_editor.execute(_sqlite_trigger(table))

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")

    return migrations.RunPython(forwards, backwards)


def append_only_after_rebuild(table: str) -> migrations.RunPython:
    """Put back the SQLite trigger of ``append_only`` after a migration has altered a
    column of ``table``: SQLite alters a column by building the table anew, which drops
    its triggers. PostgreSQL keeps them; nothing to do there."""
    trigger = f"{table}_append_only"

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            schema_editor.execute(_sqlite_trigger(table))

    return migrations.RunPython(forwards, migrations.RunPython.noop)


def _sqlite_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'append-only table: UPDATE refused on {table}'); END"
    )
