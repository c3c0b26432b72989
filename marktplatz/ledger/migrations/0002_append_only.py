from django.db import migrations

from marktplatz.core.immutable import append_only


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [append_only("ledger_transaction"), append_only("ledger_transfer")]
