import json
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from bearman.models import Event, EventKind, Node

from .boot_files import ipxe_render_on_commit

# A node's iPXE script depends on its status, its Baremetal and its re-registration arming
# (bearman.services.boot_scripts NodeBootState), and every change to them is recorded as one
# of these: recording it is where the re-render is asked for, so no writer can record the
# change and forget the file.
BOOT_EVENT_KINDS = frozenset(
    {EventKind.NODE_STATUS, EventKind.BAREMETAL, EventKind.REREGISTRATION_ARMED}
)

# Many events in one statement (PostgreSQL): one array per column, one element per event.
INSERT_MANY = f"""
INSERT INTO {Event._meta.db_table} (node_id, kind, message, actor, data, created_at)
SELECT *, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::jsonb[])
"""


class EventRecord(NamedTuple):
    """One event of many, as events_record_many takes them."""

    node_id: int
    kind: EventKind
    message: str
    actor: str
    data: dict


def event_record(
    *, node: Node, kind: EventKind, message: str, actor: str, data: dict | None = None
) -> Event:
    """Append one event to the node's log; a boot-relevant one re-renders its script on commit."""
    event = Event.objects.create(
        node=node, kind=kind, message=message, actor=actor, data=data or {}
    )
    if kind in BOOT_EVENT_KINDS:
        ipxe_render_on_commit(uuids=[node.uuid])
    return event


def events_record_many(*, records: list[EventRecord]) -> None:
    """Append many events, of any nodes, in one statement; nothing is read back."""
    if not records:
        return
    now = timezone.now()
    if connection.vendor != "postgresql":
        Event.objects.bulk_create(Event(**record._asdict(), created_at=now) for record in records)
        return
    node_ids, kinds, messages, actors, data = (
        list(column) for column in zip(*records, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_MANY,
            [
                now,
                node_ids,
                [str(k) for k in kinds],
                messages,
                actors,
                [json.dumps(d) for d in data],
            ],
        )


class FieldChanges(dict):
    """field → (old, new) of the values that differ from what an object holds."""

    @classmethod
    def between(cls, instance, values: dict) -> "FieldChanges":
        return cls(
            (field, (getattr(instance, field), new))
            for field, new in values.items()
            if getattr(instance, field) != new
        )

    def apply(self, instance, *, to: str = "new") -> None:
        """Set the new values on `instance` (or put the old ones back, to="old")."""
        for field, (old, new) in self.items():
            setattr(instance, field, new if to == "new" else old)

    def described(self) -> str:
        return "; ".join(f"{field} {old} → {new}" for field, (old, new) in self.items())

    def as_data(self) -> dict:
        return {field: [str(old), str(new)] for field, (old, new) in self.items()}
