"""Raw INSERTs (the PostgreSQL fast paths) fill a new row's other columns from its model.

A hand-written list of column defaults misses the next column added to the model (a new
NOT NULL column then fails every insert on PostgreSQL alone); the model knows them all.
"""

from django.db.models import Field, Model


def defaulted_fields(model: type[Model], *, given: tuple[str, ...]) -> tuple[Field, ...]:
    """The model's columns that a raw INSERT writing the columns `given` fills with defaults.

    Columns whose default is NULL are left to the database (NULL, or its own default).
    """
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.column not in given and field.get_default() is not None
    )


def defaults_prepared(fields: tuple[Field, ...], connection) -> dict[str, object]:
    """`default_<column>` → each field's default as the database takes it, for one statement."""
    return {
        f"default_{field.column}": field.get_db_prep_save(field.get_default(), connection)
        for field in fields
    }


def default_placeholders(fields: tuple[Field, ...]) -> str:
    """The named placeholders of `defaults_prepared`, in the fields' order."""
    return ", ".join(f"%(default_{field.column})s" for field in fields)
