from django.db import connection, transaction

from ipman.errors import PoolInUse
from ipman.models import Allocation, FreeAddress, Pool
from ipman.models.pool import SPACE_FIELDS

from .cursor import cursor_create, cursor_retire
from .free import free_rebuild, pool_lock

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
        locked = pool_lock(pool_id=pool.pk)
        if new_space:
            # Waits for the claims in flight and holds new ones back, so the checks below
            # (no allocations in the way of a new network) see every allocation there is.
            _stop_claims(locked)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        if new_space:
            locked.version += 1
        locked.save(update_fields=[*changes, "version", "updated_at"])
        if new_space:
            cursor_create(pool=locked, position=free_rebuild(pool=locked))
    return locked


def pool_delete(*, pool: Pool) -> None:
    """Delete a pool that has no allocations (PoolInUse otherwise).

    This is what keeps allocations from outliving their pool (the database does not check
    that reference; see ipman.models.Allocation): with the cursor retired and the free table
    emptied, every claim of the pool has ended or will fail, so the count below is final.
    """
    with transaction.atomic():
        locked = pool_lock(pool_id=pool.pk)
        _stop_claims(locked)
        held = Allocation.objects.filter(pool=locked).count()
        if held:
            raise PoolInUse(
                f"Pool {locked.name} has {held} allocations: release them before deleting it."
            )
        locked.delete()


def _stop_claims(pool: Pool) -> None:
    # Retiring the cursor waits for the claims drawing from it; emptying the free table
    # waits for the claims holding its rows. Claims that come later find neither.
    cursor_retire(pool=pool)
    FreeAddress.objects.filter(pool=pool).delete()


def _one_network_change_at_a_time() -> None:
    # The overlap check reads every other pool, so two new networks checked at once could
    # overlap each other. SQLite already runs one writer at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NETWORK_LOCK])
