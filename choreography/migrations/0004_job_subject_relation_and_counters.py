"""The job runner's fields (issue 13).

- Job.subject: from a string ("routine:5") to a generic relation (subject_type + subject_id); the
  strings of existing rows are carried over, and back again on the way down.
- Job.attempts counted two things; it becomes transient_retries and worker_losses. A row whose last
  word was its worker stopping counts its attempts as worker losses, any other as retries.
- The rows a job fills (Routine, Song, MoveClip) all carry started_at and finished_at:
  Routine.ready_at and Song.analyzed_at become finished_at.
"""

import django.db.models.deletion
from django.db import migrations, models

# What came before the colon in Job.subject, and the model it named.
SUBJECT_KINDS = {"routine": "routine", "song": "song", "clip": "moveclip"}
KIND_OF_MODEL = {model: kind for kind, model in SUBJECT_KINDS.items()}
WORKER_STOPPED = "worker stopped"


def _check_constraints_now(schema_editor):
    # PostgreSQL defers foreign-key checks to the commit; rows updated here would leave "pending trigger
    # events" that refuse the ALTER TABLE later in this migration. Checked per statement, none are left.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def subject_strings_to_relations(apps, schema_editor):
    _check_constraints_now(schema_editor)
    ContentType = apps.get_model("contenttypes", "ContentType")
    Job = apps.get_model("choreography", "Job")
    for kind, model in SUBJECT_KINDS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="choreography", model=model)
        for job in Job.objects.filter(subject__startswith=f"{kind}:").only("pk", "subject").iterator():
            key = job.subject.partition(":")[2]
            if key.isdigit():
                Job.objects.filter(pk=job.pk).update(subject_type=content_type, subject_id=int(key))


def subject_relations_to_strings(apps, schema_editor):
    _check_constraints_now(schema_editor)
    Job = apps.get_model("choreography", "Job")
    for job in Job.objects.filter(subject_type__isnull=False).select_related("subject_type").iterator():
        kind = KIND_OF_MODEL.get(job.subject_type.model, job.subject_type.model)
        Job.objects.filter(pk=job.pk).update(subject=f"{kind}:{job.subject_id}")


def split_attempts(apps, schema_editor):
    Job = apps.get_model("choreography", "Job")
    lost = Job.objects.filter(attempts__gt=0, error__icontains=WORKER_STOPPED)
    lost.update(worker_losses=models.F("attempts"))
    Job.objects.filter(attempts__gt=0).exclude(error__icontains=WORKER_STOPPED).update(
        transient_retries=models.F("attempts")
    )


def join_attempts(apps, schema_editor):
    Job = apps.get_model("choreography", "Job")
    Job.objects.update(attempts=models.F("transient_retries") + models.F("worker_losses"))


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("choreography", "0003_job_stage"),
    ]

    operations = [
        # The subject: a generic relation in place of a string.
        migrations.AddField(
            model_name="job",
            name="subject_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="subject type",
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(subject_strings_to_relations, subject_relations_to_strings),
        migrations.RemoveField(model_name="job", name="subject"),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["subject_type", "subject_id"], name="job_subject_idx"),
        ),
        # Two counters, each named for what it counts.
        migrations.AddField(
            model_name="job",
            name="transient_retries",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Times it was queued again after a transient error (bachata.runner.MAX_TRANSIENT_RETRIES).",
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="worker_losses",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Times its worker stopped while running it and the sweep queued it again "
                "(bachata.runner.MAX_WORKER_LOSSES).",
            ),
        ),
        migrations.RunPython(split_attempts, join_attempts),
        migrations.RemoveField(model_name="job", name="attempts"),
        # Timings on every row a job fills.
        migrations.RenameField(model_name="routine", old_name="ready_at", new_name="finished_at"),
        migrations.RenameField(model_name="song", old_name="analyzed_at", new_name="finished_at"),
        migrations.AddField(
            model_name="routine",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="song",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="moveclip",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="moveclip",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
