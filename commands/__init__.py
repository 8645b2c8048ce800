"""The pure core: command declarations, the parser, actions, replies and errors. No I/O here."""

from commands import approvals, audit, deploy, digest, freezes, locks, meta, read
from commands.registry import Registry


def default_registry() -> Registry:
    return Registry(
        [
            *meta.SPECS,
            *read.SPECS,
            *deploy.SPECS,
            *locks.SPECS,
            *digest.SPECS,
            *audit.SPECS,
            *freezes.SPECS,
            *approvals.SPECS,
        ]
    )
