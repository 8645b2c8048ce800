"""The shell adapter: chat with Pilothouse in a terminal, or pipe commands into it.

Like Hubot's shell adapter: every line is a message from `--user` in `--channel`. On a
terminal it has line editing and history; with piped input it answers each line and exits 0
at the end of the input.

`/as USER` changes who is speaking (`/as USER COMMAND` for one line), so a request and its
approvals by other people can be tried in one shell against the one embedded store.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.handlers import rollout_view
from bot.pipeline import Message, Pipeline
from commands.replies import Reply
from integrations.render.text import render

PROMPT = "pilothouse> "
EXIT_WORDS = {"exit", "quit", "bye"}
AS = "/as"


def _lines(stdin: TextIO, interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from stdin
        return
    import readline  # line editing and history, for the terminal only

    history = Path.home() / ".pilothouse_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)
    try:
        yield from _prompt()
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)


def _prompt() -> Iterator[str]:
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print()


def run(pipeline: Pipeline, *, user: str, channel: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        print(
            f"Pilothouse shell: you are {user} in {channel}. Type `help`, `/as NAME` to speak as someone else, "
            "or `exit` to leave.",
            file=stdout,
        )
    first = True
    for raw in _lines(stdin, interactive):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.lower() in EXIT_WORDS:
            break
        speaker = user
        if text.split(maxsplit=1)[0] == AS:
            parts = text.split(maxsplit=2)
            if len(parts) == 1:
                print(f"You are {user}. `/as USER` speaks as USER from now on; `/as USER COMMAND` once.", file=stdout)
                continue
            if len(parts) == 2:
                user = parts[1]
                print(("" if first or interactive else "\n") + f"> {text}\nYou are now {user}.", file=stdout)
                first = False
                continue
            speaker, text = parts[1], parts[2]
        message = Message(user=speaker, channel=channel, text=text)
        reply = pipeline.handle(message)
        if not interactive:
            print(("" if first else "\n") + f"> {raw.strip()}", file=stdout)
        print(render(reply), file=stdout, flush=True)
        _follow(pipeline, reply, message, stdout)
        first = False
    return 0


def _follow(pipeline: Pipeline, reply: Reply, message: Message, stdout: TextIO) -> None:
    """A rollout's progress, one line per change (like `kubectl rollout status`), then its end."""
    if reply.follow is None:
        return
    try:
        final = pipeline.follow(
            reply,
            lambda progress: print(rollout_view.line(progress.state), file=stdout, flush=True),
            message=message,
        )
    except KeyboardInterrupt:
        print("Stopped following; the rollout goes on. `status` shows where it stands.", file=stdout)
        return
    if final is not None:
        print(render(Reply(rollout_view.blocks(reply.follow, final.state)[1:])), file=stdout, flush=True)
