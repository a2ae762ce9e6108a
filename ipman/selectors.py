"""Reading IPman's data: pools, their usage, and who holds which address."""

import ipaddress
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, QuerySet

from ipman.errors import AddressInUse, AddressOutsidePool, IpmanError, OwnerHasAddress, PoolNotFound
from ipman.models import Allocation, Pool
from ipman.space import IPAddress, parse_network


@dataclass(frozen=True)
class PoolUsage:
    """How many of a pool's addresses are allocated."""

    used: int
    total: int

    @property
    def percent(self) -> float:
        return 100 * self.used / self.total if self.total else 0.0


def pool_get(*, pool: Pool | int | str) -> Pool:
    """The pool given as itself, its id or its name; PoolNotFound otherwise."""
    if isinstance(pool, Pool):
        return pool
    lookup = {"pk": pool} if isinstance(pool, int) else {"name": pool}
    found = Pool.objects.filter(**lookup).first()
    if found is None:
        raise PoolNotFound(f"There is no pool {pool!r}.")
    return found


def pool_list_with_usage() -> QuerySet[Pool]:
    """Every pool, each with its allocation count in one query (`allocation_count`)."""
    return Pool.objects.annotate(allocation_count=Count("allocations")).order_by("name")


def pool_usage(*, pool: Pool) -> PoolUsage:
    """Used and total addresses; uses `allocation_count` when the pool was listed with it."""
    used = getattr(pool, "allocation_count", None)
    if used is None:
        used = pool.allocations.count()
    return PoolUsage(used=used, total=pool.space.total)


def pool_containing(*, address: IPAddress | str) -> Pool | None:
    """The pool whose network holds `address` (pools never overlap), if any."""
    value = ipaddress.ip_address(address)
    for pool in Pool.objects.all():
        network = parse_network(pool.network)
        if network.version == value.version and value in network:
            return pool
    return None


def pools_containing(*, addresses: list[str]) -> dict[str, Pool]:
    """For each of `addresses` a pool holds, that pool: one read for all of them."""
    wanted = {address: ipaddress.ip_address(address) for address in set(addresses)}
    found = {}
    with connection.cursor() as cursor:  # raw: Django's query compiler costs more here
        cursor.execute(f"SELECT id, network FROM {Pool._meta.db_table}")
        networks = cursor.fetchall()
    for pool_id, text in networks:
        network = parse_network(text)
        for address, value in wanted.items():
            if network.version == value.version and value in network:
                found[address] = pool_id
    pools = Pool.objects.in_bulk(set(found.values())) if found else {}
    return {address: pools[pool_id] for address, pool_id in found.items()}


def allocation_list(
    *, pool: Pool | None = None, owner: str | None = None, address: str | None = None
) -> QuerySet[Allocation]:
    """Allocations, narrowed by pool, owner and address; ordered by pool, then as handed out."""
    allocations = Allocation.objects.select_related("pool").order_by("pool__name", "id")
    if address is not None:
        # An address names its pool, which turns the search into a (pool, address) lookup.
        pool = pool or pool_containing(address=address)
        if pool is None:
            return allocations.none()
        allocations = allocations.filter(address=str(ipaddress.ip_address(address)))
    if pool is not None:
        allocations = allocations.filter(pool=pool)
    if owner is not None:
        allocations = allocations.filter(owner=owner, pool__in=pool_ids())
    return allocations


def pool_ids() -> QuerySet:
    """Every pool's id, to look an owner's allocations up by.

    The owner's rows are found through the (pool, owner) index then; by owner alone,
    PostgreSQL reads the whole allocation table (an index on owner alone would cost every
    allocation its upkeep).
    """
    return Pool.objects.values("pk")


def reservation_conflict(*, pool: Pool, address: IPAddress, owner: str) -> IpmanError | None:
    """Why `owner` cannot have exactly `address` of `pool`; None if it is free or already its."""
    reason = pool.space.exclusion(address)
    if reason:
        return AddressOutsidePool(f"{address} {reason}: pool {pool.name} does not hand it out.")
    held = Allocation.objects.filter(pool=pool, owner=owner).first()
    if held:
        if held.address == str(address):
            return None
        return OwnerHasAddress(
            f"{owner} already holds {held.address} in pool {pool.name}; release it first."
        )
    taken = Allocation.objects.filter(pool=pool, address=str(address)).first()
    if taken:
        return AddressInUse(f"{address} in pool {pool.name} is held by {taken.owner}.")
    return None
