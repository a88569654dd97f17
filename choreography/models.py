"""Domain rows. Every row a background job fills carries status, error and timestamps (JobSubject)."""

from __future__ import annotations

import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from choreography import vocab
from choreography.domain import ArmPath, MoveSpec


class Status(models.TextChoices):
    QUEUED = vocab.STATUS_QUEUED, "Queued"
    RUNNING = vocab.STATUS_RUNNING, "Running"
    READY = vocab.STATUS_READY, "Ready"
    FAILED = vocab.STATUS_FAILED, "Failed"


LEVEL_CHOICES = [(level, level.capitalize()) for level in vocab.LEVELS]
POSITION_CHOICES = [(position, position.replace("_", " ")) for position in vocab.POSITIONS]


def _generated_name(folder: str, filename: str) -> str:
    # Uploads are stored under generated names: never the user's name, never guessable.
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def clip_upload_to(instance, filename: str) -> str:
    return _generated_name("clips/originals", filename)


def song_upload_to(instance, filename: str) -> str:
    return _generated_name("songs/originals", filename)


class JobSubject(models.Model):
    """A row that a background job fills (a routine, a song, a clip). Only bachata.runner writes these
    fields: it moves the row through queued -> running -> ready / failed together with its Job row."""

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # What a person reads when it failed: a domain error's own message, or the job's plain-words summary.
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class JobQuerySet(models.QuerySet):
    def for_subject(self, subject: models.Model) -> JobQuerySet:
        """The jobs that work on this row, newest first."""
        return self.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)


class Job(models.Model):
    """Mirror of one background job: created before it is queued, moved through its life by bachata.runner."""

    Status = Status

    # Dotted path of the entry point (choreography.jobs), as enqueue was given it as a function.
    func = models.CharField(max_length=200)
    queue = models.CharField(max_length=32, default="default")
    # The row the job fills, or none. A generic relation: a new kind of work needs no new column, and with
    # no database constraint the job's record outlives a subject deleted while it was queued or running.
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="subject type"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    rq_job_id = models.CharField(max_length=100, blank=True)
    transient_retries = models.PositiveIntegerField(
        default=0, help_text="Times it was queued again after a transient error (bachata.runner.MAX_TRANSIENT_RETRIES)."
    )
    worker_losses = models.PositiveIntegerField(
        default=0,
        help_text="Times its worker stopped while running it and the sweep queued it again "
        "(bachata.runner.MAX_WORKER_LOSSES).",
    )
    # Where a running job is (choreography.stages), reported by the service as it goes; the last one stays.
    stage = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="job_subject_idx")]

    def __str__(self) -> str:
        subject = f" {self.subject_type.model}:{self.subject_id}" if self.subject_type_id else ""
        return f"{self.func} [{self.status}]{subject}"


class Move(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField()
    level = models.CharField(max_length=16, choices=LEVEL_CHOICES, db_index=True)
    counts = models.PositiveSmallIntegerField(choices=[(c, str(c)) for c in vocab.MOVE_COUNTS])
    start_position = models.CharField(max_length=16, choices=POSITION_CHOICES)
    end_position = models.CharField(max_length=16, choices=POSITION_CHOICES)
    elements = models.JSONField(default=list, blank=True)
    styles = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # What the arms do beyond the hold and turns (moves.json "arm_paths"; the clip renderer draws them).
    arm_paths = models.JSONField(default=list, blank=True)
    energy = models.FloatField(default=0.5)
    opener = models.BooleanField(default=False)
    finisher = models.BooleanField(default=False)
    published = models.BooleanField(default=True, db_index=True)
    # Set when staff edit a move in the admin: seed_catalog then leaves it alone unless --force.
    edited_by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.level})"

    def to_spec(self) -> MoveSpec:
        return MoveSpec(
            slug=self.slug,
            name=self.name,
            description=self.description,
            level=self.level,
            counts=self.counts,
            start_position=self.start_position,
            end_position=self.end_position,
            elements=tuple(self.elements),
            styles=tuple(self.styles),
            energy=self.energy,
            opener=self.opener,
            finisher=self.finisher,
            tags=tuple(self.tags),
            arm_paths=tuple(ArmPath.from_dict(path) for path in self.arm_paths or ()),
        )


class MoveClip(JobSubject):
    Status = Status

    move = models.ForeignKey(Move, on_delete=models.CASCADE, related_name="clips")
    original = models.FileField(upload_to=clip_upload_to, blank=True, max_length=255)
    normalised = models.FileField(blank=True, max_length=255)
    # The same clip flipped left to right (a rendered clip's words stay unmirrored): the mirrored routine's.
    normalised_mirrored = models.FileField(blank=True, max_length=255)
    thumbnail = models.FileField(blank=True, max_length=255)
    # Given by staff, or left empty and proposed from the clip's own music at normalisation.
    recorded_bpm = models.FloatField(null=True, blank=True)
    count1_s = models.FloatField(null=True, blank=True, help_text="Time of count 1 in the original, in seconds.")
    timing_source = models.CharField(
        max_length=8, blank=True, choices=[("staff", "given by staff"), ("music", "found in the clip's music")]
    )
    counts = models.PositiveSmallIntegerField(default=0)
    frames = models.PositiveIntegerField(default=0)
    motion_features = models.JSONField(default=list, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["move__name", "-created_at"]

    def __str__(self) -> str:
        return f"clip of {self.move.slug} [{self.status}]"


class Song(JobSubject):
    Status = Status

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    demo_slug = models.SlugField(max_length=80, blank=True, db_index=True)
    upload = models.FileField(upload_to=song_upload_to, max_length=255)
    audio_aac = models.FileField(blank=True, max_length=255)
    analysis = models.JSONField(null=True, blank=True)
    tempo_bpm = models.FloatField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    confidence = models.CharField(max_length=8, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_demo(self) -> bool:
        return self.owner_id is None


def _share_token() -> str:
    return secrets.token_urlsafe(16)


class Routine(JobSubject):
    Status = Status

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routines")
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    request = models.JSONField(null=True, blank=True)
    song = models.ForeignKey(Song, on_delete=models.PROTECT, related_name="routines")
    level = models.CharField(max_length=16, choices=LEVEL_CHOICES)
    duration_s = models.FloatField(null=True, blank=True)
    seed = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True)
    timings_ms = models.JSONField(default=dict, blank=True)
    video = models.FileField(blank=True, max_length=255)
    # The routine assembled from its clips' mirrored twins; empty for a routine made before there were
    # twins (or with a clip that has none): the player then flips the video itself.
    video_mirrored = models.FileField(blank=True, max_length=255)
    shared = models.BooleanField(default=False)
    share_token = models.CharField(max_length=32, default=_share_token, unique=True)
    # The API client's Idempotency-Key for the request that made it: the same key again gets this
    # routine back instead of a twin. Empty for routines asked for without one.
    request_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "request_key"],
                condition=~models.Q(request_key=""),
                name="routine_request_key_once_per_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Routine {self.pk}"

    @property
    def full_title(self) -> str:
        """The words behind a title cut short: the whole request where the title is its start (shown on hover)."""
        title = str(self)
        if title.endswith("…") and " ".join(self.text.split()).startswith(title[:-1]):
            return " ".join(self.text.split())
        return title

    @property
    def ready_at(self):
        """When its video was last made, while it is ready (the API's name for it)."""
        return self.finished_at if self.status == Status.READY else None


class RoutineMove(models.Model):
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="moves")
    order = models.PositiveIntegerField()
    move = models.ForeignKey(Move, on_delete=models.PROTECT)
    clip = models.ForeignKey(MoveClip, null=True, blank=True, on_delete=models.SET_NULL)
    first_phrase = models.PositiveIntegerField(default=0)
    phrase_count = models.PositiveIntegerField(default=1)
    start_s = models.FloatField()
    end_s = models.FloatField()
    counts = models.PositiveSmallIntegerField()
    start_position = models.CharField(max_length=16)
    end_position = models.CharField(max_length=16)
    locked = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    # The song's section the move starts in (its label, its name as "chorus 2", and the section whose
    # combination it repeats); empty for a routine planned before sections, or on a song without them.
    section = models.CharField(max_length=16, blank=True, default="")
    section_name = models.CharField(max_length=32, blank=True, default="")
    section_repeats = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["routine", "order"]
        constraints = [models.UniqueConstraint(fields=["routine", "order"], name="routine_move_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}: {self.move.slug}"


class PracticeSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions")
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="practice_sessions")
    client_id = models.CharField(
        max_length=64, blank=True, help_text="Set by the player so a resent batch is not counted twice."
    )
    started_at = models.DateTimeField()
    seconds_practised = models.FloatField(default=0)
    speeds_used = models.JSONField(default=dict, blank=True)  # "0.5" -> seconds at that speed
    loops_per_move = models.JSONField(default=dict, blank=True)  # move slug -> loop count
    move_speeds = models.JSONField(default=dict, blank=True)  # move slug -> best speed in this session
    # The share of steps on the beat (0..1), where the camera watched; None where it did not.
    timing_share = models.FloatField(null=True, blank=True)
    # The timing readings of this session (pose feedback on the dancer's device: live, a take or a file), oldest
    # first, numbers only (practice.TIMING_FIELDS); timing_share sums their steps.
    timing = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_id"], condition=~models.Q(client_id=""), name="practice_client_id_unique"
            )
        ]


class MoveProgress(models.Model):
    """What a dancer has learned: marked by them in the player; best speed reached per move."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="move_progress")
    move = models.ForeignKey(Move, on_delete=models.CASCADE)
    learned = models.BooleanField(default=False)
    best_speed = models.FloatField(default=0)
    loops = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "move"], name="move_progress_unique")]


class SavedLoop(models.Model):
    """A loop a dancer named and kept on a routine: free seconds (A-B) or a range of its moves.

    A move loop keeps move places (orders), not seconds: a swapped move keeps its place, so the loop
    follows it. An A-B loop keeps its seconds. Both go with the routine."""

    class Kind(models.TextChoices):
        SECONDS = "seconds", "A-B"
        MOVES = "moves", "moves"

    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="saved_loops")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # A-B loops: seconds into the routine's video.
    start_s = models.FloatField(null=True, blank=True)
    end_s = models.FloatField(null=True, blank=True)
    # Move loops: the first and last move's order, both included.
    first_move = models.PositiveIntegerField(null=True, blank=True)
    last_move = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["routine", "created_at", "pk"]

    def __str__(self) -> str:
        return self.name
