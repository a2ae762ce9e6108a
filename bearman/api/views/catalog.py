"""Flavors and Profiles, addressed by name."""

from rest_framework import viewsets

from bearman.api.filters import ProfileFilter
from bearman.api.serializers import FlavorSerializer, ProfileSerializer
from bearman.models import Flavor, Profile
from bearman.services import flavor_delete, flavor_save, profile_delete, profile_save

WRITE_METHODS = ["get", "post", "patch", "delete", "head", "options"]


class FlavorViewSet(viewsets.ModelViewSet):
    queryset = Flavor.objects.select_related("default_profile")
    serializer_class = FlavorSerializer
    lookup_field = "name"
    http_method_names = WRITE_METHODS
    search_fields = ["name", "description"]
    ordering_fields = ["name"]

    def perform_create(self, serializer):
        serializer.instance = flavor_save(flavor=Flavor(**serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = flavor_save(flavor=_updated(serializer))

    def perform_destroy(self, instance):
        flavor_delete(flavor=instance)


class ProfileViewSet(viewsets.ModelViewSet):
    """Saving a profile re-renders the iPXE scripts of the nodes it is deployed on."""

    queryset = Profile.objects.select_related("kernel_artifact", "initrd_artifact")
    serializer_class = ProfileSerializer
    lookup_field = "name"
    http_method_names = WRITE_METHODS
    filterset_class = ProfileFilter
    search_fields = ["name", "description", "kernel_url"]
    ordering_fields = ["name", "updated_at"]

    def perform_create(self, serializer):
        serializer.instance = profile_save(
            profile=Profile(**serializer.validated_data), actor=self.request.user.get_username()
        )

    def perform_update(self, serializer):
        serializer.instance = profile_save(
            profile=_updated(serializer), actor=self.request.user.get_username()
        )

    def perform_destroy(self, instance):
        profile_delete(profile=instance)


def _updated(serializer):
    """The instance with the validated changes applied, not yet saved."""
    for field, value in serializer.validated_data.items():
        setattr(serializer.instance, field, value)
    return serializer.instance
