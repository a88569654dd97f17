from django.contrib import admin

from accounts.models import DataExport, FileToRemove, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "skill_level", "preferred_style", "created_at")
    list_filter = ("skill_level", "preferred_style")
    search_fields = ("user__username",)


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ("owner", "status", "size_bytes", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("owner__username",)
    readonly_fields = ("owner", "archive", "size_bytes", "status", "error", "created_at", "expires_at")


@admin.register(FileToRemove)
class FileToRemoveAdmin(admin.ModelAdmin):
    """Stored files whose removal failed after their rows were deleted; `manage.py sweep_jobs` retries them."""

    list_display = ("name", "attempts", "last_error", "created_at")
    search_fields = ("name",)
