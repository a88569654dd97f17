from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("choreography", "0002_clip_timing_from_music"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="stage",
            field=models.CharField(blank=True, max_length=32),
        ),
    ]
