from collections.abc import Mapping
from copy import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from bearman.api.errors import field_errors


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


class JsonTypesMixin:
    """Refuses values of the wrong JSON type instead of coercing them.

    DRF turns 12 into "12" for a string field, "12" into 12 for an integer field and
    "" into null for a relation; the schema promises clients none of that, so
    neither does the API.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {
                name: [problem]
                for name, field in self.fields.items()
                if name in data and not field.read_only
                for problem in [_type_problem(field, data[name])]
                if problem
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _type_problem(field, value) -> str | None:
    if value is None:
        return None  # the field itself says whether null is allowed
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "Expected a list."
        return next(filter(None, (_type_problem(field.child, item) for item in value)), None)
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Expected true or false."
    if isinstance(field, serializers.IntegerField):
        whole = isinstance(value, int) and not isinstance(value, bool)
        return None if whole else "Expected a whole number."
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return None if isinstance(value, str) else "Expected a string."
    if isinstance(field, serializers.SlugRelatedField) and not (isinstance(value, str) and value):
        return "Expected a name (a non-empty string), or null for none."
    return None
