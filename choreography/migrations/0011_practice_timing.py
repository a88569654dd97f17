"""Timing feedback from pose (issue 16 part 2): each practice session keeps its timing readings (numbers
only: shares, offsets in ms, step and tap counts, per phrase); sessions logged before have none."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("choreography", "0010_practice_move_speeds_timing"),
    ]

    operations = [
        migrations.AddField(
            model_name="practicesession",
            name="timing",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
