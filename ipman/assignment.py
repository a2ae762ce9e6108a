"""What IPman hands back for an allocation: the address and how to configure it."""

from dataclasses import dataclass

from ipman.models import Pool


@dataclass(frozen=True)
class Assignment:
    """An owner's address in a pool, with the settings a host or BMC needs to use it."""

    address: str
    owner: str
    pool: str  # the pool's name
    pool_id: int
    network: str
    prefix_length: int
    netmask: str
    gateway: str | None
    vlan: int | None
    created: bool  # False when the owner already held this address

    @classmethod
    def of(cls, *, pool: Pool, address: str, owner: str, created: bool) -> "Assignment":
        network, prefix_length, netmask = pool.space.host_settings
        return cls(
            address=address,
            owner=owner,
            pool=pool.name,
            pool_id=pool.pk,
            network=network,
            prefix_length=prefix_length,
            netmask=netmask,
            gateway=pool.gateway,
            vlan=pool.vlan,
            created=created,
        )
