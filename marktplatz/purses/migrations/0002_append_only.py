from django.db import migrations

from marktplatz.core.immutable import append_only


class Migration(migrations.Migration):
    dependencies = [("purses", "0001_initial")]
    operations = [append_only("purses_benefitload")]
