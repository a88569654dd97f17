from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from choreography import vocab
from choreography.errors import MediaError
from choreography.models import Job, Move, MoveClip, PracticeSession, Routine, RoutineMove, Song
from choreography.services import catalog as catalog_services


class MoveClipInline(admin.TabularInline):
    """The move's clips, to look at; a clip is added or re-timed on its own page, which normalises it."""

    model = MoveClip
    extra = 0
    max_num = 0
    fields = ("status", "recorded_bpm", "count1_s", "counts", "is_demo", "preview", "error")
    readonly_fields = fields
    show_change_link = True

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
        fields = (
            "slug", "name", "description", "level", "counts", "start_position", "end_position",
            "elements", "styles", "tags", "energy", "opener", "finisher", "published",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["tags"] = ", ".join(self.instance.tags or [])

    def clean_tags(self) -> list[str]:
        return [tag.strip().lower() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

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


class MoveClipForm(forms.ModelForm):
    class Meta:
        model = MoveClip
        fields = ("move", "original", "recorded_bpm", "count1_s")
        help_texts = {
            "recorded_bpm": "The tempo the clip was danced to (60-200 BPM). Empty: found in the clip's music.",
            "count1_s": "Where count 1 of the first phrase falls, in seconds. Leave empty to find it in the music.",
        }

    def clean_original(self):
        upload = self.cleaned_data.get("original")
        # Checked whenever a file is uploaded: on a new clip and when staff replace an old clip's file.
        if upload and "original" in self.changed_data:
            try:
                catalog_services.check_clip_upload(upload)
            except MediaError as exc:
                raise forms.ValidationError(str(exc)) from exc
        elif not upload:
            raise forms.ValidationError("Choose a video file (mp4, mov, webm or mkv).")
        return upload

    def clean_recorded_bpm(self):
        bpm = self.cleaned_data["recorded_bpm"]
        if bpm is not None and not 60 <= bpm <= 200:
            raise forms.ValidationError("The tempo must be between 60 and 200 BPM.")
        return bpm

    def clean_count1_s(self):
        value = self.cleaned_data["count1_s"]
        if value is not None and value < 0:
            raise forms.ValidationError("The time of count 1 cannot be negative.")
        return value


@admin.register(MoveClip)
class MoveClipAdmin(admin.ModelAdmin):
    form = MoveClipForm
    list_display = ("move", "status", "recorded_bpm", "counts", "is_demo", "thumb", "created_at")
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
        "normalised",
        "thumbnail",
    )
    actions = ["normalise_again"]

    def save_model(self, request, obj: MoveClip, form, change: bool) -> None:
        reprocess = not change or {"original", "recorded_bpm", "count1_s"} & set(form.changed_data)
        if reprocess:
            obj.status = MoveClip.Status.QUEUED
            obj.error = ""
        super().save_model(request, obj, form, change)
        if reprocess:
            catalog_services.clip_queue_normalise(clip=obj)
            messages.info(request, "The clip is being normalised; it is used once it is ready.")

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
        for clip in queryset.exclude(is_demo=True):
            MoveClip.objects.filter(pk=clip.pk).update(status=MoveClip.Status.QUEUED, error="")
            catalog_services.clip_queue_normalise(clip=clip)


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "tempo_bpm", "duration_s", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "owner__username")
    readonly_fields = ("analysis",)


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
    inlines = [RoutineMoveInline]


@admin.register(PracticeSession)
class PracticeSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "routine", "started_at", "seconds_practised")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("func", "queue", "subject", "status", "created_at", "started_at", "finished_at")
    list_filter = ("status", "queue", "func")
    search_fields = ("subject", "error")
