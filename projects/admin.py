from __future__ import annotations

from django.contrib import admin

from projects.models import Maintainership, Project


class MaintainershipInline(admin.TabularInline[Maintainership, Project]):
    model = Maintainership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["name", "status", "source", "source_ref", "updated_at"]
    list_filter = ["status", "source"]
    search_fields = ["name", "summary", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status", "source", "source_ref", "created_at", "updated_at"]
    inlines = [MaintainershipInline]
