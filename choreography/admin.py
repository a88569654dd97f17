from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminFileWidget
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from choreography import vocab
from choreography.catalog import data as catalog_data
from choreography.errors import MediaError
from choreography.models import Job, Move, MoveClip, PracticeSession, Routine, RoutineMove, Song
from choreography.services import catalog as catalog_services


def clip_file_links(clip: MoveClip):
    """Links to the clip's files through the staff-only views (media is not served as static files)."""
    links = [
        (clip.original, "clip_original", "original"),
        (clip.normalised, "clip_normalised", "normalised"),
        (clip.thumbnail, "clip_thumbnail", "thumbnail"),
    ]
    shown = [(reverse(view, args=[clip.pk]), label) for field, view, label in links if field]
    if not shown:
        return "—"
    return format_html_join(" · ", '<a href="{}" target="_blank" rel="noopener">{}</a>', shown)


class MoveClipInline(admin.TabularInline):
    """The move's clips, to look at; a clip is added or re-timed on its own page, which normalises it."""

    model = MoveClip
    extra = 0
    max_num = 0
    fields = ("status", "recorded_bpm", "count1_s", "counts", "is_demo", "preview", "files", "error")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description="Files")
    def files(self, clip: MoveClip):
        return clip_file_links(clip)

    @admin.display(description="Preview")
    def preview(self, clip: MoveClip):
        if clip.status != MoveClip.Status.READY:
            return "—"
        url = reverse("clip_preview", args=[clip.pk])
        return format_html('<video src="{}" width="240" controls muted preload="metadata"></video>', url)


class MoveForm(forms.ModelForm):
    """Elements and styles as checkboxes from the fixed vocabulary; tags as comma-separated words."""

    elements = forms.MultipleChoiceField(
        choices=[(e, e.replace("_", " ")) for e in vocab.ELEMENTS], required=False, widget=forms.CheckboxSelectMultiple
    )
    styles = forms.MultipleChoiceField(
        choices=[(s, s) for s in vocab.STYLES], required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(required=False, help_text="Words that help search, separated by commas.")

    class Meta:
        model = Move
        fields = ("slug", *catalog_services.MOVE_FIELDS, "published")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["tags"] = ", ".join(self.instance.tags or [])

    def clean_tags(self) -> list[str]:
        return [tag.strip().lower() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def clean_arm_paths(self) -> list:
        return self.cleaned_data.get("arm_paths") or []

    def clean(self) -> dict:
        cleaned = super().clean()
        if "counts" in cleaned:
            entry = {key: cleaned.get(key) or [] for key in ("arm_paths", "elements")}
            problem = catalog_data.arm_paths_problem({**entry, "counts": int(cleaned["counts"])})
            if problem:
                self.add_error("arm_paths", problem)
        return cleaned

    def clean_energy(self) -> float:
        energy = self.cleaned_data["energy"]
        if not 0 <= energy <= 1:
            raise forms.ValidationError("Energy is from 0 (calm) to 1 (the song's peak).")
        return energy


class ElementFilter(admin.SimpleListFilter):
    title = "element"
    parameter_name = "element"

    def lookups(self, request, model_admin):
        return [(element, element.replace("_", " ")) for element in vocab.ELEMENTS]

    def queryset(self, request, queryset):
        if self.value() in vocab.ELEMENTS:
            # A JSON list stored as text on every backend: match the quoted element name.
            return queryset.filter(elements__icontains=f'"{self.value()}"')
        return queryset


@admin.register(Move)
class MoveAdmin(admin.ModelAdmin):
    form = MoveForm
    list_display = ("name", "slug", "level", "counts", "start_position", "end_position", "energy", "published")
    list_filter = ("level", ElementFilter, "published", "start_position", "end_position", "opener", "finisher")
    search_fields = ("slug", "name", "description")
    inlines = [MoveClipInline]
    actions = ["publish", "unpublish"]

    def save_model(self, request, obj: Move, form, change: bool) -> None:
        # seed_catalog leaves staff edits alone unless run with --force.
        obj.edited_by_staff = True
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish selected moves")
    def publish(self, request, queryset) -> None:
        queryset.update(published=True)

    @admin.action(description="Unpublish selected moves")
    def unpublish(self, request, queryset) -> None:
        queryset.update(published=False)


CLIP_ACCEPT = "video/*,.mp4,.mov,.webm,.mkv,.avi,.m4v"


class _StaffFileLink:
    """A stored file as the file widget shows it: its name, linked to the staff-only view that serves it."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class ClipFileWidget(AdminFileWidget):
    """The admin's file input, with its "Currently:" link pointing at `link_url` (media is not served)."""

    link_url = ""

    def format_value(self, value):
        value = super().format_value(value)
        if value and self.link_url:
            return _StaffFileLink(value.name, self.link_url)
        return value


class MoveClipForm(forms.ModelForm):
    class Meta:
        model = MoveClip
        fields = ("move", "original", "recorded_bpm", "count1_s")
        help_texts = {
            "original": "A video (mp4, mov, webm, mkv or avi) of at least one 8-count phrase from count 1.",
            "recorded_bpm": "The tempo the clip was danced to (60-200 BPM). Empty: found in the clip's music.",
            "count1_s": "Where count 1 of the first phrase falls, in seconds. Leave empty to find it in the music.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = ClipFileWidget(attrs={"accept": CLIP_ACCEPT})
        if self.instance.pk and self.instance.original:
            widget.link_url = reverse("clip_original", args=[self.instance.pk])
        self.fields["original"].widget = widget
        self.probed = None  # what the probe found in a new upload

    def clean_original(self):
        upload = self.cleaned_data.get("original")
        # Probed whenever a file is uploaded: on a new clip and when staff replace an old clip's file.
        if upload and "original" in self.changed_data:
            try:
                self.probed = catalog_services.clip_upload_probe(upload)
            except MediaError as exc:
                # Named: after a refusal the file input is empty again.
                raise forms.ValidationError(f"“{upload.name}”: {exc}") from exc
        elif not upload:
            raise forms.ValidationError("Choose a video file (mp4, mov, webm, mkv or avi).")
        return upload

    def clean_recorded_bpm(self):
        bpm = self.cleaned_data["recorded_bpm"]
        low, high = catalog_services.CLIP_MIN_BPM, catalog_services.CLIP_MAX_BPM
        if bpm is not None and not low <= bpm <= high:
            raise forms.ValidationError(f"The tempo must be between {low} and {high} BPM.")
        return bpm

    def clean_count1_s(self):
        value = self.cleaned_data["count1_s"]
        if value is not None and value < 0:
            raise forms.ValidationError("The time of count 1 cannot be negative.")
        return value

    def clean(self):
        cleaned = super().clean()
        # The length is judged against the tempo and count 1 given beside the file, once both are valid.
        if self.probed is not None and not {"recorded_bpm", "count1_s"} & set(self.errors):
            try:
                catalog_services.clip_length_check(
                    duration_s=self.probed.duration_s, bpm=cleaned.get("recorded_bpm"), count1_s=cleaned.get("count1_s")
                )
            except MediaError as exc:
                self.add_error("original", f"“{cleaned['original'].name}”: {exc}")
        return cleaned


@admin.register(MoveClip)
class MoveClipAdmin(admin.ModelAdmin):
    form = MoveClipForm
    list_display = ("move", "status", "recorded_bpm", "counts", "is_demo", "thumb", "files", "created_at")
    list_filter = ("status", "is_demo", "move__level", "move__start_position")
    search_fields = ("move__slug", "move__name")
    readonly_fields = (
        "preview",
        "status",
        "error",
        "timing_source",
        "counts",
        "frames",
        "motion_features",
        "files",
    )
    actions = ["normalise_again"]

    def save_model(self, request, obj: MoveClip, form, change: bool) -> None:
        reprocess = {"original", "recorded_bpm", "count1_s"} & set(form.changed_data)
        super().save_model(request, obj, form, change)
        if not change:
            job = catalog_services.clip_queue_normalise(clip=obj)
        elif reprocess:
            job = catalog_services.clip_normalise_again(clip=obj)
            if job is None and obj.status == MoveClip.Status.RUNNING:
                messages.warning(request, "The clip is being normalised with its old values; normalise it again after.")
        else:
            job = None
        # Said only when a job was recorded: it runs once this request's transaction commits.
        if job is not None:
            messages.info(request, "The clip is being normalised; it is used once it is ready.")

    @admin.display(description="Files")
    def files(self, clip: MoveClip):
        return clip_file_links(clip)

    @admin.display(description="Thumbnail")
    def thumb(self, clip: MoveClip):
        if not clip.thumbnail:
            return "—"
        return format_html('<img src="{}" width="96" alt="">', reverse("clip_thumbnail", args=[clip.pk]))

    @admin.display(description="Preview")
    def preview(self, clip: MoveClip):
        if clip.status != MoveClip.Status.READY:
            return clip.error or clip.status
        url = reverse("clip_preview", args=[clip.pk])
        return format_html('<video src="{}" width="480" controls muted preload="metadata"></video>', url)

    @admin.action(description="Normalise again")
    def normalise_again(self, request, queryset) -> None:
        queued = 0
        # Demo clips are rendered, not uploaded: they have no original to normalise.
        for clip in queryset.exclude(is_demo=True).exclude(original=""):
            if catalog_services.clip_normalise_again(clip=clip) is not None:
                queued += 1
        if queued:
            messages.info(request, f"{queued} clip{'s' if queued != 1 else ''} queued to be normalised again.")
        else:
            messages.warning(
                request,
                "Nothing queued: only uploaded clips that are ready or failed can be normalised again, not demo clips.",
            )


# A row's job fields are bachata.runner's to set: staff read them here.
JOB_SUBJECT_FIELDS = ("status", "error", "started_at", "finished_at")


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "tempo_bpm", "duration_s", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "owner__username")
    readonly_fields = ("analysis", *JOB_SUBJECT_FIELDS)


class RoutineMoveInline(admin.TabularInline):
    model = RoutineMove
    extra = 0
    fields = ("order", "move", "start_s", "end_s", "counts", "start_position", "end_position", "locked", "reason")
    readonly_fields = fields


@admin.register(Routine)
class RoutineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "owner", "song", "level", "status", "created_at")
    list_filter = ("status", "level")
    search_fields = ("title", "text", "owner__username")
    readonly_fields = JOB_SUBJECT_FIELDS
    inlines = [RoutineMoveInline]


@admin.register(PracticeSession)
class PracticeSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "routine", "started_at", "seconds_practised")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: a job's row is bachata.runner's record of it."""

    list_display = ("func", "queue", "subject_link", "status", "stage", "created_at", "started_at", "finished_at")
    list_filter = ("status", "queue", "func", "subject_type")
    search_fields = ("func", "error", "=subject_id")
    list_select_related = ("subject_type",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Subject")
    def subject_link(self, job: Job):
        if job.subject_type_id is None:
            return "—"
        label = f"{job.subject_type.model} {job.subject_id}"
        try:
            url = reverse(f"admin:{job.subject_type.app_label}_{job.subject_type.model}_change", args=[job.subject_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)
