"""Help generated from the command declarations, so it can never drift from the parser."""

from __future__ import annotations

from collections.abc import Iterable

from commands.registry import CommandSpec
from commands.replies import Block, Fields, Heading, Paragraph, Preformatted, Reply, Table

FAMILY_TITLES = {
    "meta": "About Pilothouse",
    "read": "Look at a cluster",
    "deploy": "Change a cluster",
    "digest": "Digests",
    "audit": "The audit trail",
}


def overview(specs: Iterable[CommandSpec], *, hidden: int = 0) -> Reply:
    """The commands the person may run here, grouped by family."""
    blocks: list[Block] = [Heading("Pilothouse commands")]
    by_family: dict[str, list[CommandSpec]] = {}
    for spec in specs:
        by_family.setdefault(spec.family, []).append(spec)
    for family, members in by_family.items():
        rows = tuple((s.usage(), s.summary) for s in members)
        blocks += [Paragraph(FAMILY_TITLES.get(family, family.title())), Table(("command", "what it does"), rows)]
    if hidden:
        blocks.append(Paragraph(f"{hidden} more command(s) exist that you may not run here."))
    blocks.append(Paragraph("`help COMMAND` explains one, e.g. `help get pods`."))
    return Reply(tuple(blocks))


def command_help(spec: CommandSpec) -> Reply:
    blocks: list[Block] = [Heading(spec.name), Paragraph(spec.summary), Preformatted((spec.usage(),))]
    if spec.params:
        rows = tuple((_param_label(p.flags, p.metavar, p.switch), p.help) for p in spec.params if not p.hidden)
        blocks.append(Table(("argument", "meaning"), rows))
    if spec.aliases:
        blocks.append(Fields((("also", ", ".join(" ".join(a) for a in spec.aliases)),)))
    if spec.examples:
        blocks.append(Fields((("examples", "  ·  ".join(f"`{e}`" for e in spec.examples)),)))
    # Digest schedules and locks are write access for the policy, but they change Pilothouse's own data.
    own = {"digest": "this channel's digest schedules", "locks": "deploy locks (not the cluster)"}
    changes = own.get(spec.family, "the cluster")
    blocks.append(Fields(((f"changes {changes}", "yes" if spec.access == "write" else "no"),)))
    if spec.confirm is not None:
        blocks.append(Fields((("asks you to confirm", f"yes: {spec.confirm.why}"),)))
    return Reply(tuple(blocks))


def _param_label(flags: tuple[str, ...], metavar: str, switch: bool) -> str:
    if not flags:
        return metavar
    names = ", ".join(flags)
    return names if switch else f"{names} {metavar}"
