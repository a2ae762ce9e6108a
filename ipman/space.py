"""A pool's address space: which addresses it hands out, and in which order.

Pure Python (the standard `ipaddress` module only), so the rules read and test without a
database. The addresses a pool hands out are numbered by *position*: 0 is the lowest one,
1 the next, skipping the network and broadcast addresses, the gateway and every reserved
address. The allocator works in positions, so "lowest free address first" is "smallest
free position first", for IPv4 and IPv6 alike.
"""

import bisect
import ipaddress
from dataclasses import dataclass
from functools import cached_property

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Positions are stored in 64-bit signed columns; no pool ever hands out more addresses than this.
MAX_POSITIONS = 2**63 - 1
CIDR_EXAMPLE = "write it as CIDR, e.g. 10.0.0.0/24 or 2001:db8::/64"


def parse_network(text: str) -> IPNetwork:
    """A network in CIDR notation (10.0.0.0/24, 2001:db8::/64) whose host bits are zero."""
    text = str(text).strip()
    if "/" not in text:
        raise ValueError(f"{text or 'An empty value'} is not a network: {CIDR_EXAMPLE}.")
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text} is not a network: {CIDR_EXAMPLE}.") from None
    raise ValueError(f"{text} has host bits set: the network is {loose}.")


def parse_address(text: str, network: IPNetwork, what: str = "address") -> IPAddress:
    """An address that must lie in `network`; the ValueError names the problem."""
    try:
        address = ipaddress.ip_address(str(text).strip())
    except ValueError:
        raise ValueError(f"{text or 'An empty value'} is not an IP address.") from None
    if address not in network:
        raise ValueError(f"The {what} {address} is not in {network}.")
    return address


def parse_reserved(entry: str, network: IPNetwork) -> tuple[IPAddress, IPAddress]:
    """A reserved address (10.0.0.5), range (10.0.0.10-10.0.0.20) or subnet (10.0.0.16/28)."""
    text = str(entry).strip()
    if "/" in text:
        subnet = parse_network(text)
        if subnet.version != network.version or not subnet.subnet_of(network):
            raise ValueError(f"The reserved subnet {subnet} is not in {network}.")
        return subnet.network_address, subnet.broadcast_address
    low, _, high = text.partition("-")
    first = parse_address(low, network, "reserved address")
    last = parse_address(high, network, "reserved address") if high.strip() else first
    if last < first:
        raise ValueError(f"The reserved range {text} ends before it starts.")
    return first, last


def format_reserved(first: IPAddress, last: IPAddress) -> str:
    """The canonical spelling of a reserved address or range."""
    return str(first) if first == last else f"{first}-{last}"


def default_range(network: IPNetwork) -> tuple[IPAddress, IPAddress]:
    """The host addresses of `network`: all but its network (and IPv4 broadcast) address."""
    first, last = network.network_address, network.broadcast_address
    if network.num_addresses <= 2:  # point-to-point links use both (RFC 3021, RFC 6164)
        return first, last
    # IPv6 has no broadcast; its first address is the subnet-router anycast address.
    return first + 1, last - 1 if network.version == 4 else last


def special_address(address: IPAddress, network: IPNetwork) -> str | None:
    """ "network address" or "broadcast address" when `address` is one a host never uses."""
    first, last = default_range(network)
    if address < first:
        return "network address"
    if address > last:
        return "broadcast address"
    return None


@dataclass(frozen=True)
class Segment:
    """A run of consecutive addresses handed out in order, starting at `position`."""

    position: int
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class AddressSpace:
    """The addresses a pool hands out: its usable range minus the gateway and reserved ones."""

    network: IPNetwork
    first: IPAddress
    last: IPAddress
    gateway: IPAddress | None = None
    reserved: tuple[tuple[IPAddress, IPAddress], ...] = ()

    @classmethod
    def of(
        cls,
        *,
        network: str,
        range_first: str | None = None,
        range_last: str | None = None,
        gateway: str | None = None,
        reserved: list[str] | tuple[str, ...] = (),
    ) -> "AddressSpace":
        """The space of a pool's settings as stored (strings); ValueError if one is invalid."""
        net = parse_network(network)
        low, high = default_range(net)
        return cls(
            network=net,
            first=parse_address(range_first, net, "range start") if range_first else low,
            last=parse_address(range_last, net, "range end") if range_last else high,
            gateway=parse_address(gateway, net, "gateway") if gateway else None,
            reserved=tuple(parse_reserved(entry, net) for entry in reserved),
        )

    @cached_property
    def host_settings(self) -> tuple[str, int, str]:
        """The network, its prefix length and its netmask, as a host is configured with them."""
        return str(self.network), self.network.prefixlen, str(self.network.netmask)

    @cached_property
    def excluded(self) -> list[tuple[int, int]]:
        """The gateway and reserved addresses as sorted, merged ranges of integers."""
        ranges = [(int(low), int(high)) for low, high in self.reserved]
        if self.gateway is not None:
            ranges.append((int(self.gateway), int(self.gateway)))
        merged: list[tuple[int, int]] = []
        for low, high in sorted(ranges):
            if merged and low <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        return merged

    @cached_property
    def segments(self) -> list[Segment]:
        """The usable range cut around the excluded addresses, numbered from position 0."""
        first, last = int(self.first), int(self.last)
        segments, cursor, position = [], first, 0
        for low, high in [*self.excluded, (last + 1, last + 1)]:
            if cursor < low and cursor <= last:
                segments.append(Segment(position, cursor, min(low - 1, last)))
                position += segments[-1].size
            cursor = max(cursor, high + 1)
        return segments

    @cached_property
    def total(self) -> int:
        """How many addresses the pool hands out."""
        return sum(segment.size for segment in self.segments)

    @property
    def positions(self) -> int:
        """How many of them can be numbered: all, short of the 63-bit limit."""
        return min(self.total, MAX_POSITIONS)

    @cached_property
    def _starts(self) -> tuple[list[int], list[int]]:
        return [s.position for s in self.segments], [s.first for s in self.segments]

    def address_at(self, position: int) -> IPAddress:
        """The address at `position`; IndexError past the end."""
        if not 0 <= position < self.positions:
            raise IndexError(f"{self.network} has no position {position}")
        segment = self.segments[bisect.bisect_right(self._starts[0], position) - 1]
        return self.address_of(segment.first + position - segment.position)

    def address_of(self, number: int) -> IPAddress:
        """The address numbered `number` in the network's family (::5 is not 0.0.0.5)."""
        return type(self.network.network_address)(number)

    def position_of(self, address: IPAddress | str) -> int | None:
        """The position of `address`, or None when the pool does not hand it out."""
        value = ipaddress.ip_address(address)
        if value.version != self.network.version:
            return None
        index = bisect.bisect_right(self._starts[1], int(value)) - 1
        if index < 0 or int(value) > self.segments[index].last:
            return None
        position = self.segments[index].position + int(value) - self.segments[index].first
        return position if position < MAX_POSITIONS else None

    def slice(self, start: int, count: int) -> list[tuple[int, IPAddress]]:
        """Up to `count` (position, address) pairs from position `start` on."""
        stop = min(start + count, self.positions)
        return [(position, self.address_at(position)) for position in range(start, stop)]

    def exclusion(self, address: IPAddress) -> str | None:
        """Why the pool does not hand `address` out, in words; None when it does."""
        if address.version != self.network.version or address not in self.network:
            return f"is not in {self.network}"
        special = special_address(address, self.network)
        if special:
            return f"is the {special}"
        if address == self.gateway:
            return "is the gateway"
        for low, high in self.reserved:
            if low <= address <= high:
                return f"is reserved ({format_reserved(low, high)})"
        if not self.first <= address <= self.last:
            return f"is outside the usable range {self.first}-{self.last}"
        return None


def settings_errors(
    *,
    network: str,
    range_first: str | None,
    range_last: str | None,
    gateway: str | None,
    reserved: list[str],
) -> dict[str, list[str]]:
    """Every problem with a pool's address settings, by field; empty when they are sound."""
    try:
        net = parse_network(network)
    except ValueError as error:
        return {"network": [str(error)]}
    errors: dict[str, list[str]] = {}
    for field, value, what in [
        ("gateway", gateway, "gateway"),
        ("range_first", range_first, "range start"),
        ("range_last", range_last, "range end"),
    ]:
        problem = _address_problem(value, net, what)
        if problem:
            errors[field] = [problem]
    for entry in reserved:
        try:
            parse_reserved(entry, net)
        except ValueError as error:
            errors.setdefault("reserved", []).append(str(error))
    if errors:
        return errors
    return _space_problems(
        AddressSpace.of(
            network=network,
            range_first=range_first,
            range_last=range_last,
            gateway=gateway,
            reserved=reserved,
        )
    )


def _address_problem(value: str | None, network: IPNetwork, what: str) -> str | None:
    if not value:
        return None
    try:
        address = parse_address(value, network, what)
    except ValueError as error:
        return str(error)
    special = special_address(address, network)
    return f"The {what} {address} is the {special} of {network}." if special else None


def _space_problems(space: AddressSpace) -> dict[str, list[str]]:
    if space.first > space.last:
        return {"range_last": [f"The range ends ({space.last}) before it starts ({space.first})."]}
    if space.total == 0:
        return {
            "reserved": [
                f"Nothing is left to hand out between {space.first} and {space.last} once the "
                "gateway and the reserved addresses are taken out."
            ]
        }
    return {}
