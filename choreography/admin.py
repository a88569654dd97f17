from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from choreography.models import Job, Move, MoveClip, PracticeSession, Routine, RoutineMove, Song


class MoveClipInline(admin.TabularInline):
    model = MoveClip
    extra = 0
    fields = ("status", "recorded_bpm", "count1_s", "counts", "is_demo", "preview", "error")
    readonly_fields = ("status", "counts", "is_demo", "preview", "error")
    show_change_link = True

    @admin.display(description="Preview")
    def preview(self, clip: MoveClip):
        if clip.status != MoveClip.Status.READY:
            return "—"
        url = reverse("clip_preview", args=[clip.pk])
        return format_html('<video src="{}" width="240" controls muted preload="metadata"></video>', url)


@admin.register(Move)
class MoveAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "level", "counts", "start_position", "end_position", "energy", "published")
    list_filter = ("level", "published", "start_position", "end_position", "opener", "finisher")
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


@admin.register(MoveClip)
class MoveClipAdmin(admin.ModelAdmin):
    list_display = ("move", "status", "recorded_bpm", "counts", "is_demo", "created_at")
    list_filter = ("status", "is_demo", "move__level")
    search_fields = ("move__slug", "move__name")
    readonly_fields = ("normalised", "thumbnail", "counts", "frames", "motion_features", "status", "error")


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
