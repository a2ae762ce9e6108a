"""IPman pools for agent API tests and benchmarks, made through IPman's own service."""

from ipman.services import pool_create


def make_pool(*, name: str, network: str, purpose: str, zone: str, **extra):
    return pool_create(name=name, network=network, purpose=purpose, availability_zone=zone, **extra)
