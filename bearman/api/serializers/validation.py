from copy import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from bearman.api.errors import field_errors
from ipman.api.json_types import JsonTypesMixin

__all__ = ["JsonTypesMixin", "ModelRulesMixin"]


class ModelRulesMixin:
    """Checks input against the model's own rules (field validators and `clean()`).

    The admin's forms run the same rules, so the API refuses exactly what the admin
    refuses. Uniqueness is left to DRF's validators, which name the field.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy(self.instance) if self.instance else self.Meta.model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.full_clean(validate_unique=False)
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from None
        return attrs
