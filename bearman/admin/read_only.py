from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened (events, notices, power operations): shown, never edited
    in the admin; only the services write it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
