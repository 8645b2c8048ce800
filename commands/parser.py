"""Text → typed action. Pure: no I/O, no chat or cluster knowledge.

normalise (chat autocorrect) → shlex split → longest-prefix lookup in the registry →
bind arguments to the spec's params → validate into the spec's frozen pydantic model.
"""

from __future__ import annotations

import difflib
import re
import shlex  # only to quote words back (shlex.quote)
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from commands.errors import MissingArguments, ParseError, UnknownCommand, UsageError
from commands.limits import MESSAGE_CHARS, shown, too_long
from commands.registry import Action, CommandSpec, Param, Registry
from commands.values import is_dns_subdomain

# Chat clients "smarten" what people type; kubectl-style input needs the plain forms back.
_SMART_CHARACTERS = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2014": "--",
        "\u2013": "--",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)


_SPACES = frozenset(" \t\r\n")  # what shlex splits on
_NUMBER = re.compile(r"^-\d+$")  # `scale web -1` is a (bad) number, not an option


@dataclass(frozen=True, slots=True)
class Parsed:
    spec: CommandSpec
    action: Action


def normalise(text: str) -> str:
    return text.translate(_SMART_CHARACTERS).strip()


def check_length(text: str) -> None:
    """Before anything else looks at a message: nothing longer than Slack's limit is a command."""
    if len(text) > MESSAGE_CHARS:
        raise ParseError(
            f"The message is too long: {too_long('it', len(text), MESSAGE_CHARS)} (Slack's own limit).",
            hint="A command is a line or two: `help` lists them.",
        )


def split(text: str) -> list[str]:
    """Words as a POSIX shell splits them (what `shlex.split` does), in one pass: quotes group,
    a backslash escapes, and a quote left open is an error that names it. shlex itself builds each
    word a character at a time, which costs time quadratic in a long word."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote: str | None = None
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = None
            else:
                word.append(char)
        elif quote == '"':
            if char == '"':
                quote = None
            elif char == "\\" and i + 1 < n and text[i + 1] in '"\\':
                i += 1
                word.append(text[i])
            else:
                word.append(char)
        elif char in "'\"":
            quote, in_word = char, True
        elif char == "\\":
            if i + 1 == n:
                raise ParseError("A `\\` at the end escapes nothing.", hint="Remove it, or escape something after it.")
            i += 1
            word.append(text[i])
            in_word = True
        elif char in _SPACES:
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        else:
            word.append(char)
            in_word = True
        i += 1
    if quote is not None:
        raise ParseError(
            f"Unbalanced quotes: a `{quote}` is opened but never closed.",
            hint=f"Close the quote, or remove it: {shown(text)!r}.",
        )
    if in_word:
        words.append("".join(word))
    return words


def parse(text: str, registry: Registry, *, topic: str | None = None) -> Parsed:
    """`topic`: the Deployment the conversation is about, used where the command needs one
    and was given one argument too few (`scale 5` → `scale web 5`)."""
    check_length(text)
    tokens = split(normalise(text))
    if not tokens:
        raise ParseError("Nothing to do: the message is empty.", hint="Type `help`.")
    found = registry.lookup(tokens)
    if found is None:
        raise UnknownCommand(shown(" ".join(tokens[:2])), suggest_commands(tokens, registry))
    spec, used = found
    try:
        return Parsed(spec, validate(spec, bind(spec, tokens[used:])))
    except MissingArguments as missing:
        if topic is None or spec.topic is None:
            raise
        if _could_be_a_name(missing.given.get(spec.topic.name)):
            raise  # `deploy cart` in web's thread: cart's image, or an image called cart? Ask.
        try:
            return Parsed(spec, validate(spec, bind(spec, [topic, *tokens[used:]])))
        except UsageError:
            raise missing from None  # the topic did not fit either: ask for what is missing


def _could_be_a_name(first: object) -> bool:
    """Whether the first positional given could itself name the target (a number could, but
    nobody names a Deployment `5`: `scale 5` means the topic)."""
    if not isinstance(first, str) or first.isdigit():
        return False
    _, slash, name = first.partition("/")
    return is_dns_subdomain(name if slash else first)


def suggest_commands(tokens: list[str], registry: Registry) -> list[str]:
    phrases = registry.phrases()
    for n in (2, 1):
        guess = " ".join(tokens[:n]).lower()
        if len(guess) > 2 * registry.longest_phrase:
            continue  # too far from every command to be a typo of one (and costly to compare)
        matches = difflib.get_close_matches(guess, list(phrases), n=6, cutoff=0.6)
        if matches:
            # Several aliases of one command count once, under the command's own name.
            return list(dict.fromkeys(phrases[m] for m in matches))[:3]
    return []


def bind(spec: CommandSpec, args: list[str]) -> dict[str, Any]:
    """Assign each token to a param, like argparse but with errors for people."""
    values: dict[str, Any] = {}
    positionals = list(spec.positionals)
    rest: list[str] = []
    i = 0
    only_positionals = False
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--" and not only_positionals:
            only_positionals = True
        elif token.startswith("-") and len(token) > 1 and not only_positionals and not _NUMBER.match(token):
            i = _bind_option(spec, token, args, i, values)
        elif positionals and positionals[0].rest:
            rest.append(token)
        elif positionals:
            param = positionals.pop(0)
            values[param.name] = token
        else:
            raise UsageError(f"Unexpected argument `{shown(token)}` for `{spec.name}`.", usage=spec.usage())
    if rest:
        values[positionals[0].name] = " ".join(rest)
    missing = tuple(p.metavar for p in spec.params if p.missing(values))
    if missing:
        given = " ".join([spec.name, *(shlex.quote(a) for a in args)])
        needs = " and ".join(missing)
        raise MissingArguments(
            f"`{spec.name}` needs {needs}.", usage=spec.usage(), command=given, missing=missing, given=values
        )
    return values


def _bind_option(spec: CommandSpec, token: str, args: list[str], i: int, values: dict[str, Any]) -> int:
    flag, inline = _split_flag(token, spec)
    param = spec.option(flag)
    if param is None:
        raise _unknown_option(spec, flag)
    if param.name in values:
        raise UsageError(f"`{flag}` is given twice.", usage=spec.usage())
    if param.switch:
        if inline is not None:
            raise UsageError(f"`{flag}` takes no value.", usage=spec.usage())
        values[param.name] = True
        return i
    if inline is None:
        if i >= len(args):
            raise UsageError(f"`{flag}` needs a value: {param.metavar}.", usage=spec.usage())
        inline, i = args[i], i + 1
    values[param.name] = inline
    return i


def _split_flag(token: str, spec: CommandSpec) -> tuple[str, str | None]:
    if token.startswith("--"):
        flag, sep, value = token.partition("=")
        return flag, value if sep else None
    # Short options may carry their value attached, as in kubectl: `-nshop`, `-n=shop`.
    flag, value = token[:2], token[2:]
    if value and spec.option(flag) is not None:
        return flag, value.removeprefix("=")
    return token, None


def _unknown_option(spec: CommandSpec, flag: str) -> UsageError:
    known = [f for p in spec.params for f in p.flags]
    close = difflib.get_close_matches(flag, known, n=1, cutoff=0.5) if len(flag) <= 64 else []
    extra = f" Did you mean `{close[0]}`?" if close else ""
    return UsageError(f"`{spec.name}` has no option `{shown(flag)}`.{extra}", usage=spec.usage())


def validate(spec: CommandSpec, values: dict[str, Any]) -> Action:
    try:
        return spec.model.model_validate({**spec.fixed, **values})
    except ValidationError as e:
        raise UsageError(_describe(spec, e), usage=spec.usage()) from None


def _describe(spec: CommandSpec, error: ValidationError) -> str:
    by_name = {p.name: p for p in spec.params}
    problems = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        param: Param | None = by_name.get(field)
        message = str(item.get("ctx", {}).get("error") or item["msg"])
        message = message.removeprefix("Value error, ")
        if item["type"] in ("int_parsing", "int_from_float"):
            message = f"`{shown(str(item['input']))}` is not a whole number"
        elif item["type"] == "int_parsing_size":
            message = f"`{shown(str(item['input']))}` is far too large a number"
        label = f"`{param.display}`" if param else "arguments"
        problems.append(f"Invalid {label}: {message}.")
    return " ".join(problems)
