"""REST API tokens in the admin: issued here, shown once when made, never listed."""

from django.contrib import admin, messages
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from bearman.models import ApiToken

# DRF's own admin lists every key in clear and titles pages with it; ours replaces it.
admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    list_display = ("user", "created")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"API token for {obj.user}: {obj.key} — copy it now: it is not shown again.",
            messages.WARNING,
        )
