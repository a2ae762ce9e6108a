from .allocation import AllocationAdmin
from .pool import PoolAdmin

__all__ = ["AllocationAdmin", "PoolAdmin"]
