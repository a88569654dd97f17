from django.contrib import admin

from accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "skill_level", "preferred_style", "created_at")
    list_filter = ("skill_level", "preferred_style")
    search_fields = ("user__username",)
