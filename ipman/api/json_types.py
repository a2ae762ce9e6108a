"""Strict JSON types for every REST API of the project (IPman's and Bearman's).

It lives here, below both apps, because IPman may not import Bearman and both APIs must
refuse the same wrong types the same way.
"""

from collections.abc import Mapping

from rest_framework import serializers


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
