"""Help is generated from the declarations: every command appears, with its real usage."""

from __future__ import annotations

from commands import default_registry
from commands.help import command_help, overview
from commands.replies import Preformatted, Table
from integrations.render.text import render

REGISTRY = default_registry()


def test_overview_lists_every_command_with_its_usage() -> None:
    text = render(overview(REGISTRY))
    for spec in REGISTRY:
        assert spec.usage() in text
        assert spec.summary in text


def test_overview_says_how_many_commands_are_hidden() -> None:
    text = render(overview(list(REGISTRY)[:2], hidden=3))
    assert "3 more command(s) exist that you may not run here." in text


def test_command_help_shows_usage_arguments_aliases_and_examples() -> None:
    spec = REGISTRY.find("get")
    assert spec is not None
    reply = command_help(spec)
    usage = next(b for b in reply.blocks if isinstance(b, Preformatted))
    assert usage.lines == ("get KIND [NAME] [-n NAMESPACE] [-A] [-l SELECTOR] [-o wide|yaml] [--cluster CLUSTER]",)
    arguments = next(b for b in reply.blocks if isinstance(b, Table))
    assert ("-n, --namespace NAMESPACE", "the namespace (default: the cluster's default)") in arguments.rows
    text = render(reply)
    assert "get sts -A" in text
    assert "`get pods -n shop`" in text


def test_every_declared_command_has_a_handler() -> None:
    from bot.handlers import HANDLERS
    from bot.pipeline import APPROVAL_ACTIONS
    from commands.meta import Answer, Use

    by_pipeline = (Answer, Use, *APPROVAL_ACTIONS)  # the pipeline's own steps
    missing = [spec.name for spec in REGISTRY if spec.model not in HANDLERS and spec.model not in by_pipeline]
    assert missing == []
