"""The daily cap from a counter on the member instead of a sum over the day's bookings."""

import datetime as dt
import zoneinfo

from django.db import migrations, models
from django.db.models import Sum


def count_today(apps, schema_editor):
    """Members who earned today keep what they earned today towards the cap."""
    City = apps.get_model("cities", "City")
    Booking = apps.get_model("loyalty", "Booking")
    Member = apps.get_model("loyalty", "Member")
    for city in City.objects.all():
        now = dt.datetime.now(zoneinfo.ZoneInfo(city.time_zone))
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        earned = (
            Booking.objects.filter(city=city, kind="earn", created_at__gte=day_start)
            .values("member_id")
            .annotate(points=Sum("points"))
        )
        for row in earned:
            Member.objects.filter(pk=row["member_id"]).update(
                earned_since=day_start, earned_since_points=row["points"]
            )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0005_campaigns"), ("cities", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="member",
            name="earned_since",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="member",
            name="earned_since_points",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_today, migrations.RunPython.noop),
    ]
