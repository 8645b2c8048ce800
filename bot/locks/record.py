"""A deploy lock as stored: who holds which workload, why, since when, until when.

The policy reads it from `Request.lock` (the pipeline puts it there), so whether a lock stops a
change is decided in `Policy.authorise`, with everything else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from commands.locks import STEAL

__all__ = ["STEAL", "Lock"]


@dataclass(frozen=True, slots=True)
class Lock:
    cluster: str
    namespace: str
    kind: str  # plural: deployments, statefulsets, daemonsets, cronjobs
    name: str
    owner: str  # the holder's user ID: what counts
    label: str  # the ID with the display name beside it, for people to read
    since: datetime
    expires: datetime
    reason: str | None = None

    @property
    def ref(self) -> str:
        """How commands name the workload: `web`, `sts/db`."""
        short = {"statefulsets": "sts/", "daemonsets": "ds/", "cronjobs": "cronjob/"}
        return short.get(self.kind, "") + self.name

    def live(self, at: datetime | None) -> bool:
        return at is None or at < self.expires

    def to_json(self) -> str:
        data = asdict(self)
        data["since"], data["expires"] = self.since.isoformat(), self.expires.isoformat()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, cluster: str, namespace: str, kind: str, name: str) -> Lock:
        """The stored lock; one that cannot be read still holds the workload (fail closed),
        by an unknown owner, until it expires or is stolen."""
        try:
            data = json.loads(text)
            data["since"] = datetime.fromisoformat(data["since"])
            data["expires"] = datetime.fromisoformat(data["expires"])
            return cls(**data)
        except (ValueError, TypeError, KeyError):
            now = datetime.now(UTC)
            reason = "its lock record cannot be read"
            return cls(cluster, namespace, kind, name, "unknown", "unknown", now, now.replace(year=9999), reason)
