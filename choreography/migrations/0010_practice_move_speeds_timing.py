"""Practice history (issue 16 part 5): each session's best speed per move, for the charts over time, and
the timing share where the camera watched (None until then); sessions logged before have neither."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("choreography", "0009_move_arm_paths"),
    ]

    operations = [
        migrations.AddField(
            model_name="practicesession",
            name="move_speeds",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="practicesession",
            name="timing_share",
            field=models.FloatField(blank=True, null=True),
        ),
    ]
