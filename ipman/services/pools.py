from django.db import connection, transaction

from ipman.errors import PoolInUse, PoolNotFound
from ipman.models import Allocation, FreeAddress, Pool
from ipman.models.pool import SPACE_FIELDS

from .cursor import cursor_create, cursor_drop
from .free import free_rebuild

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
    """Create a pool (validated; its network overlaps no other's) ready to hand out."""
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
        cursor_create(pool=pool)
    return pool


def pool_update(*, pool: Pool, **changes) -> Pool:
    """Change a pool's settings; new address settings apply to every allocation after."""
    unknown = set(changes) - set(POOL_FIELDS)
    if unknown:
        raise TypeError(f"pool_update() cannot change {', '.join(sorted(unknown))}")
    new_space = any(field in changes for field in SPACE_FIELDS)
    with transaction.atomic():
        if "network" in changes:
            _one_network_change_at_a_time()
        # A new address space waits for the claims in flight, and holds new ones back, so
        # the checks below (no allocations in the way of a new network) see them all.
        locked = _lock_exclusively(pool) if new_space else _lock_for_settings(pool)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save(update_fields=[*changes, "updated_at"])
        if new_space:
            free_rebuild(pool=locked)
    return locked


def pool_delete(*, pool: Pool) -> None:
    """Delete a pool that has no allocations (PoolInUse otherwise)."""
    with transaction.atomic():
        locked = _lock_exclusively(pool)
        held = Allocation.objects.filter(pool=locked).count()
        if held:
            raise PoolInUse(
                f"Pool {locked.name} has {held} allocations: release them before deleting it."
            )
        FreeAddress.objects.filter(pool=locked).delete()
        cursor_drop(pool=locked)
        locked.delete()


def _lock_exclusively(pool: Pool) -> Pool:
    # FOR UPDATE, unlike the FOR NO KEY UPDATE of releases and sweeps, conflicts with the
    # FOR KEY SHARE every claim holds on its pool until it commits.
    return _locked(Pool.objects.select_for_update(), pool)


def _lock_for_settings(pool: Pool) -> Pool:
    return _locked(Pool.objects.select_for_update(no_key=True), pool)


def _locked(queryset, pool: Pool) -> Pool:
    locked = queryset.filter(pk=pool.pk).first()
    if locked is None:
        raise PoolNotFound(f"Pool {pool.name} does not exist (any more).")
    return locked


def _one_network_change_at_a_time() -> None:
    # The overlap check reads every other pool, so two new networks checked at once could
    # overlap each other. SQLite already runs one writer at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NETWORK_LOCK])
