"""IPman's service API: everything that changes pools and allocations goes through here.

Bearman (and anything else) calls these functions, never IPman's tables. All arguments are
keyword-only; a pool may be given as a Pool, its id or its name.

Allocating
    ip_allocate(pool=, owner=, note="") -> Assignment
        The owner's address in the pool. Idempotent per owner: the same owner asking again
        gets the same address (Assignment.created is then False). Otherwise the lowest free
        address, never the network, broadcast, gateway, reserved or out-of-range ones.
    ip_allocate_for(purpose=, availability_zone=, owner=, note="") -> Assignment
        The same from the pools serving a purpose (ipmi, service, provisioning) in a zone,
        tried by name; Bearman asks for `node/<uuid>/ipmi` at registration this way.
    ip_allocate_many(pool=, owners=, note="") -> list[Assignment]
    ip_allocate_many_for(purpose=, availability_zone=, owners=, note="") -> list[Assignment]
        The same for many owners in one call (one Assignment per owner, in their order), in
        a few statements however many they are; all or nothing.
    ip_reserve(pool=, address=, owner=, note="") -> Assignment
        Exactly that address for the owner.
    ip_release(owner=, pool=None) -> list[str]
        Give back the owner's address in one pool, or in every pool; returns what was freed.

An Assignment carries the address, the pool, network, prefix length, netmask, gateway and
VLAN: all a host or a BMC needs to configure it.

Pools
    pool_create(name=, network=, purpose=, availability_zone=, gateway=, vlan=,
                range_first=, range_last=, reserved=, description=) -> Pool
    pool_update(pool=, **changes) -> Pool
    pool_delete(pool=)

Errors (ipman.errors, all IpmanError): PoolExhausted, PoolNotFound, PoolInUse, AddressInUse,
AddressOutsidePool, OwnerHasAddress. Bad input raises Django's ValidationError with a message
per field and changes nothing.

Reading (usage, who holds an address, an owner's addresses) is in ipman.selectors.

Guarantees, on PostgreSQL and SQLite alike: an address is held by one owner at a time and an
owner holds one address per pool (unique constraints underneath every path); concurrent
allocations from one pool each claim their own free address instead of waiting for each other's
commits, and pools never wait for each other; the cost of one allocation does not grow with how
full the pool is.
See ipman.services.claims, .bulk, .cursor and .free for how.
"""

from .allocations import ip_allocate, ip_allocate_for, ip_release, ip_reserve
from .bulk import ip_allocate_many, ip_allocate_many_for
from .pools import pool_create, pool_delete, pool_update

__all__ = [
    "ip_allocate",
    "ip_allocate_for",
    "ip_allocate_many",
    "ip_allocate_many_for",
    "ip_release",
    "ip_reserve",
    "pool_create",
    "pool_delete",
    "pool_update",
]
