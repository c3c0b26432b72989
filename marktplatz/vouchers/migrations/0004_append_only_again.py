"""Migration 0003 altered vouchers_voucherredemption, which SQLite does by building the table anew: that
dropped its append-only trigger there (PostgreSQL kept it). Put it back."""

from django.db import migrations

from marktplatz.core.immutable import append_only_after_rebuild


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0003_voucherorder_and_more")]
    operations = [append_only_after_rebuild("vouchers_voucherredemption")]
