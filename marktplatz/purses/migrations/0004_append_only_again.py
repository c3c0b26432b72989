"""Migration 0003 altered purses_benefitload, which SQLite does by building the table anew: that
dropped its append-only trigger there (PostgreSQL kept it). Put it back."""

from django.db import migrations

from marktplatz.core.immutable import append_only_after_rebuild


class Migration(migrations.Migration):
    dependencies = [("purses", "0003_load_once_a_month")]
    operations = [append_only_after_rebuild("purses_benefitload")]
