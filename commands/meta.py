"""Commands about Pilothouse itself: help, whoami, clusters."""

from __future__ import annotations

from pydantic import Field

from commands.registry import Action, CommandSpec, Param


class Help(Action):
    topic: str | None = Field(default=None, min_length=1)


class WhoAmI(Action):
    pass


class ListClusters(Action):
    pass


SPECS = (
    CommandSpec(
        words=("help",),
        model=Help,
        family="meta",
        summary="List the commands you can run here, or explain one",
        params=(Param("topic", "COMMAND", "a command, e.g. `get pods`", rest=True),),
        examples=("help", "help logs"),
    ),
    CommandSpec(
        words=("whoami",),
        model=WhoAmI,
        family="meta",
        summary="Who you are to Pilothouse, where you are, and what you may do",
        examples=("whoami",),
    ),
    CommandSpec(
        words=("clusters",),
        model=ListClusters,
        family="meta",
        summary="The configured clusters: reachable or not, version, default namespace",
        aliases=(("get", "clusters"),),
        examples=("clusters",),
    ),
)
