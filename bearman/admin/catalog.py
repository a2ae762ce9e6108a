"""Admin for what operators define once: Flavors and Profiles."""

from django.contrib import admin

from bearman.models import Flavor, Profile

from .forms import ProfileAdminForm


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "default_profile", "vlan", "bond_mode")
    list_select_related = ("default_profile",)
    search_fields = ("name", "description")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    form = ProfileAdminForm
    list_display = ("name", "description", "boot_method", "kernel_url", "updated_at")
    list_filter = ("boot_method",)
    search_fields = ("name", "description", "kernel_url")
    readonly_fields = ("created_at", "updated_at")

    class Media:
        css = {"all": ["bearman/admin.css"]}
