from django.db import connection, transaction

from ipman.errors import PoolInUse
from ipman.models import Allocation, Pool
from ipman.models.pool import SPACE_FIELDS

from .window import pool_lock, window_clear, window_extend

POOL_FIELDS = (
    "name",
    "description",
    "purpose",
    "availability_zone",
    "network",
    "gateway",
    "vlan",
    "range_first",
    "range_last",
    "reserved",
)
# pg_advisory_xact_lock key ("ipmannet") under which pool networks change one at a time.
NETWORK_LOCK = int.from_bytes(b"ipmannet", "big") - 2**63


def pool_create(
    *,
    name: str,
    network: str,
    purpose: str,
    availability_zone: str = "default",
    gateway: str | None = None,
    vlan: int | None = None,
    range_first: str | None = None,
    range_last: str | None = None,
    reserved: list[str] | tuple[str, ...] = (),
    description: str = "",
) -> Pool:
    """Create a pool (validated; its network overlaps no other) with its first free addresses."""
    pool = Pool(
        name=name,
        network=network,
        purpose=purpose,
        availability_zone=availability_zone,
        gateway=gateway or None,
        vlan=vlan,
        range_first=range_first or None,
        range_last=range_last or None,
        reserved=list(reserved),
        description=description,
    )
    with transaction.atomic():
        _one_network_change_at_a_time()
        pool.full_clean()
        pool.save()
        window_extend(pool=pool)
    return pool


def pool_update(*, pool: Pool, **changes) -> Pool:
    """Change a pool's settings; a change to its addresses rebuilds its free addresses."""
    unknown = set(changes) - set(POOL_FIELDS)
    if unknown:
        raise TypeError(f"pool_update() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if "network" in changes:
            _one_network_change_at_a_time()
        locked = pool_lock(pool_id=pool.pk)
        new_space = any(field in changes for field in SPACE_FIELDS)
        if new_space:
            # Emptied first: claims in flight finish, none start, so the checks below
            # (allocations in the way of a new network) see every allocation there will be.
            window_clear(pool=locked)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save(update_fields=[*changes, "updated_at"])
        if new_space:
            window_extend(pool=locked)
    return locked


def pool_delete(*, pool: Pool) -> None:
    """Delete a pool that has no allocations (PoolInUse otherwise)."""
    with transaction.atomic():
        locked = pool_lock(pool_id=pool.pk)
        window_clear(pool=locked)
        held = Allocation.objects.filter(pool=locked).count()
        if held:
            raise PoolInUse(
                f"Pool {locked.name} has {held} allocations: release them before deleting it."
            )
        locked.delete()


def _one_network_change_at_a_time() -> None:
    # The overlap check reads every other pool, so two new networks checked at once could
    # overlap each other. SQLite already runs one writer at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NETWORK_LOCK])
