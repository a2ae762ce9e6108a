"""Model fields that normalise what they store."""

from django.core.exceptions import ValidationError
from django.db import models

from bearman.validators import normalize_system_uuid


class SystemUuidField(models.CharField):
    """An SMBIOS system UUID, stored lowercase with dashes whatever form it arrived in."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 36)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 36:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def to_python(self, value):
        if value in self.empty_values:
            return value
        return normalize_system_uuid(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in self.empty_values:
            return value
        # Lookups with a full UUID in any spelling match; partial text (admin search)
        # passes through untouched.
        try:
            return normalize_system_uuid(value)
        except ValidationError:
            return value
