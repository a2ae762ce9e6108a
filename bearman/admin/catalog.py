"""Admin for what operators define once: Flavors, Profiles and boot artifacts."""

from django.contrib import admin
from django.utils.html import format_html

from bearman.models import BootArtifact, Flavor, Profile
from bearman.services import (
    artifact_delete,
    artifact_store,
    flavor_delete,
    flavor_save,
    profile_save,
)

from .display import ConsoleStyle, ago, clipped
from .forms import BootArtifactAdminForm, ProfileAdminForm


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "default_profile", "vlan", "bond_mode")
    list_select_related = ("default_profile",)
    search_fields = ("name", "description")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "description",
                    "default_profile",
                    "service_pools",
                    "vlan",
                    "bond_mode",
                    "bond_options",
                )
            },
        ),
        (
            "What its nodes must have (checked at registration; empty is not checked)",
            {
                "fields": (
                    ("cpu_model_pattern", "cpu_min_cores"),
                    ("memory_gib", "memory_tolerance_percent"),
                    ("disk_count", "disk_kind", "disk_min_gb"),
                    ("nic_count", "nic_min_speed_mbps", "nic_link_required"),
                    "firmware_minimums",
                )
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        flavor_save(flavor=obj)

    def delete_model(self, request, obj):
        flavor_delete(flavor=obj)

    def delete_queryset(self, request, queryset):
        for flavor in queryset:
            flavor_delete(flavor=flavor)


@admin.register(Profile)
class ProfileAdmin(ConsoleStyle, admin.ModelAdmin):
    form = ProfileAdminForm
    list_display = ("name", "summary", "boot_method", "kernel", "updated")
    list_select_related = ("kernel_artifact",)
    list_filter = ("boot_method",)
    search_fields = ("name", "description", "kernel_url")
    readonly_fields = ("created_at", "updated_at")
    autocomplete_fields = ("kernel_artifact", "initrd_artifact")

    def get_fields(self, request, obj=None):
        # A profile being added has no times yet: no "Created at: -".
        fields = super().get_fields(request, obj)
        return fields if obj else [f for f in fields if f not in self.readonly_fields]

    def save_model(self, request, obj, form, change):
        profile_save(profile=obj, actor=request.user.get_username())

    @admin.display(description="Description", ordering="description")
    def summary(self, profile):
        return clipped(profile.description, "clip-wide")

    @admin.display(description="Kernel")
    def kernel(self, profile):
        return clipped(profile.kernel_url or str(profile.kernel_artifact or ""), "clip-wide")

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, profile):
        return ago(profile.updated_at)


@admin.register(BootArtifact)
class BootArtifactAdmin(admin.ModelAdmin):
    form = BootArtifactAdminForm
    list_display = ("name", "description", "size", "sha256", "uploaded_at", "link")
    search_fields = ("name", "description", "sha256")
    readonly_fields = ("sha256", "size_bytes", "uploaded_at", "link")

    def get_readonly_fields(self, request, obj=None):
        return ("name", *self.readonly_fields) if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data.get("upload")
        if upload:
            stored = artifact_store(
                name=obj.name, chunks=upload.chunks(), description=obj.description
            )
            obj.pk = stored.pk
        else:
            obj.save(update_fields=["description", "uploaded_at"])

    def delete_model(self, request, obj):
        artifact_delete(artifact=obj)

    def delete_queryset(self, request, queryset):
        for artifact in queryset:
            artifact_delete(artifact=artifact)

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, artifact):
        return f"{artifact.size_bytes / 1024**2:.1f} MiB"

    @admin.display(description="Served at")
    def link(self, artifact):
        if not artifact.pk:
            return "—"
        return format_html('<a href="/artifacts/{0}">/artifacts/{0}</a>', artifact.name)
