"""Mirrored twins (issue 14): a clip's mirrored twin (MoveClip.normalised_mirrored) and a routine's mirrored
video (Routine.video_mirrored). Rows made before stay empty: such a routine is flipped by the player."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('choreography', '0004_job_subject_relation_and_counters'),
    ]

    operations = [
        migrations.AddField(
            model_name='moveclip',
            name='normalised_mirrored',
            field=models.FileField(blank=True, max_length=255, upload_to=''),
        ),
        migrations.AddField(
            model_name='routine',
            name='video_mirrored',
            field=models.FileField(blank=True, max_length=255, upload_to=''),
        ),
    ]
