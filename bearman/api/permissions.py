"""Who may do what: Django's model permissions, reading included, and power."""

from rest_framework.permissions import DjangoModelPermissions

READ = ["%(app_label)s.view_%(model_name)s"]
OPERATE_POWER = "bearman.operate_power"


class ModelPermissions(DjangoModelPermissions):
    """Model permissions where reading needs `view_<model>` too.

    An action that is neither read nor plain write names what it needs in the view's
    `action_permissions` (e.g. power needs `bearman.operate_power`).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": READ,
        "HEAD": READ,
        "OPTIONS": READ,
    }

    def has_permission(self, request, view):
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if needed is None:
            return super().has_permission(request, view)
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(needed))
