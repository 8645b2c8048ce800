"""Deploy locks: the record (what the policy decides with) and the store that keeps them."""

from bot.locks.record import Lock
from bot.locks.store import Locks, Taken

__all__ = ["Lock", "Locks", "Taken"]
