from .allocation import Allocation
from .free_address import FreeAddress
from .pool import Pool, PoolPurpose

__all__ = ["Allocation", "FreeAddress", "Pool", "PoolPurpose"]
