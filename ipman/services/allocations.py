from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ipman.assignment import Assignment
from ipman.errors import AddressInUse, PoolExhausted, PoolNotFound
from ipman.models import Allocation, Pool, PoolPurpose
from ipman.selectors import pool_get, pool_ids, reservation_conflict
from ipman.validators import clean_address, clean_note, clean_owner

from .claims import claim_address
from .free import free_return, free_take, pool_lock


def ip_allocate(*, pool: Pool | int | str, owner: str, note: str = "") -> Assignment:
    """The owner's address in `pool`: the one it holds, else the lowest free one."""
    pool = pool_get(pool=pool)
    owner, note = clean_owner(owner), clean_note(note)
    address, created = claim_address(pool=pool, owner=owner, note=note)
    return Assignment.of(pool=pool, address=address, owner=owner, created=created)


def ip_allocate_for(
    *, purpose: PoolPurpose | str, availability_zone: str, owner: str, note: str = ""
) -> Assignment:
    """The owner's address from the pools serving `purpose` in the zone, first by name."""
    if purpose not in PoolPurpose.values:
        choices = ", ".join(PoolPurpose.values)
        raise ValidationError({"purpose": f"{purpose!r} is not a purpose ({choices})."})
    owner = clean_owner(owner)
    pools = list(Pool.objects.filter(purpose=purpose, availability_zone=availability_zone))
    if not pools:
        raise PoolNotFound(f"No {purpose} pool serves availability zone {availability_zone}.")
    held = Allocation.objects.filter(pool__in=pools, owner=owner).select_related("pool").first()
    if held:
        return Assignment.of(pool=held.pool, address=held.address, owner=owner, created=False)
    for pool in pools:
        try:
            return ip_allocate(pool=pool, owner=owner, note=note)
        except PoolExhausted:
            continue
    names = ", ".join(pool.name for pool in pools)
    raise PoolExhausted(
        f"Every {purpose} pool of availability zone {availability_zone} is full ({names})."
    )


def ip_release(*, owner: str, pool: Pool | int | str | None = None) -> list[str]:
    """Give back the owner's addresses, in `pool` or in every pool; returns them."""
    owner = clean_owner(owner)
    held = Allocation.objects.filter(owner=owner, pool__in=pool_ids())
    if pool is not None:
        held = held.filter(pool=pool_get(pool=pool))
    released = []
    with transaction.atomic():
        # One pool lock at a time, always in id order, so two releases never deadlock.
        for pool_id in sorted(set(held.values_list("pool_id", flat=True))):
            locked = pool_lock(pool_id=pool_id)
            for allocation in Allocation.objects.filter(pool=locked, owner=owner):
                allocation.delete()
                free_return(pool=locked, address=allocation.address)
                released.append(allocation.address)
    return released


def ip_reserve(*, pool: Pool | int | str, address: str, owner: str, note: str = "") -> Assignment:
    """Give `owner` exactly `address` of `pool` (again: the same answer, created=False)."""
    pool = pool_get(pool=pool)
    owner, note, wanted = clean_owner(owner), clean_note(note), clean_address(address)
    with transaction.atomic():
        locked = pool_lock(pool_id=pool.pk)
        conflict = reservation_conflict(pool=locked, address=wanted, owner=owner)
        if conflict:
            raise conflict
        if Allocation.objects.filter(pool=locked, owner=owner).exists():
            return Assignment.of(pool=locked, address=str(wanted), owner=owner, created=False)
        _take(locked, str(wanted), owner, note)
    return Assignment.of(pool=locked, address=str(wanted), owner=owner, created=True)


def _take(pool: Pool, address: str, owner: str, note: str) -> None:
    # A claim in flight may hold the address's free row: the delete waits for it, and if it
    # took the address, the insert below hits the unique constraint.
    free_take(pool=pool, address=address)
    try:
        with transaction.atomic():
            Allocation.objects.create(pool=pool, address=address, owner=owner, note=note)
    except IntegrityError:
        raise AddressInUse(f"{address} in pool {pool.name} was just allocated.") from None
