from bearman.models import Event, EventKind, Node


def event_record(
    *, node: Node, kind: EventKind, message: str, actor: str, data: dict | None = None
) -> Event:
    """Append one event to the node's log."""
    return Event.objects.create(node=node, kind=kind, message=message, actor=actor, data=data or {})
