"""`freezes`: the change freezes the policy declares, on now and in the next 7 days."""

from __future__ import annotations

from commands.registry import Action, CommandSpec


class ListFreezes(Action):
    pass


SPECS = (
    CommandSpec(
        words=("freezes",),
        model=ListFreezes,
        family="meta",
        # About the policy, like whoami: everyone of ours may ask what is frozen and until when
        # (a refusal says it anyway); a role need not grant it.
        access="meta",
        summary="The change freezes: which are on now and which start in the next 7 days, where, until when",
        examples=("freezes",),
    ),
)
