from django.db import migrations

from marktplatz.core.immutable import append_only


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]
    operations = [append_only("settlement_statement")]
