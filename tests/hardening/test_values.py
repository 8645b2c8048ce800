"""Value checks: the same answers as before for real input, linear time for hostile input, and a
precise error naming the limit for input that is too long."""

from __future__ import annotations

import contextlib

import pytest

from commands import default_registry
from commands.cron import CronError, parse_cron
from commands.errors import ParseError, UsageError
from commands.limits import IMAGE_CHARS, MESSAGE_CHARS, NAME_CHARS, SELECTOR_CHARS
from commands.parser import parse
from commands.values import dns_label, dns_subdomain, image_reference, parse_selector
from tests.hardening.scaling import grows_linearly

REGISTRY = default_registry()
DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.26.0",
        "library/nginx:latest",
        "ghcr.io/acme/web:v1.2.3",
        f"ghcr.io/acme/web@{DIGEST}",
        f"registry.example.com:5000/team/app:tag_1.x-y@{DIGEST}",
        "localhost:5000/app",
        "[::1]:5000/app:dev",
        "Docker.io/acme/app",  # the registry's name is case-insensitive
        "my_org/app__x/y--z",
        "a.b-c__d/e",
        "app:" + "t" * 128,
    ],
)
def test_real_image_references_are_accepted(image: str) -> None:
    assert image_reference(image) == image


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("Nginx", "its name may have only lowercase"),
        ("nginx:", "the tag ``"),
        ("nginx:-1", "the tag `-1`"),
        ("nginx:" + "t" * 129, "at most 128"),
        ("nginx@sha256:abc", "the digest `sha256:abc`"),
        ("web/app-", "its name part `app-`"),
        ("a..b", "its name may have only"),
        ("a" * 256, "the name is too long: it is 256 characters long; the limit is 255"),
        ("deploy web " + "a" * 30 + "!", "its name may have only"),
    ],
)
def test_bad_image_references_say_what_is_wrong(image: str, why: str) -> None:
    with pytest.raises(ValueError, match="is not an image reference") as e:
        image_reference(image)
    assert why in str(e.value)


def test_an_image_reference_over_its_limit_names_the_limit() -> None:
    with pytest.raises(ValueError) as e:
        image_reference("a" * (IMAGE_CHARS + 1))
    assert f"the limit is {IMAGE_CHARS:,}" in str(e.value)
    assert len(str(e.value)) < 300  # the value is quoted short, not echoed whole


@pytest.mark.parametrize("name", ["web", "web-1", "a", "a.b.c", "x" * 63 + "." + "y" * 63, "1-a"])
def test_names(name: str) -> None:
    assert dns_subdomain(name) == name


@pytest.mark.parametrize("name", ["Web", "-web", "web-", "a..b", ".a", "a.", "a_b", "", "wéb"])
def test_bad_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid name"):
        dns_subdomain(name)


def test_names_over_their_limits() -> None:
    with pytest.raises(ValueError, match=f"the limit is {NAME_CHARS}"):
        dns_subdomain("a" * (NAME_CHARS + 1))
    with pytest.raises(ValueError, match="the limit is 63"):
        dns_label("a" * 64)


@pytest.mark.parametrize(
    ("selector", "clauses"),
    [
        ("app=web", [("app", "=", ("web",))]),
        ("app==web", [("app", "=", ("web",))]),
        ("tier!=db", [("tier", "!=", ("db",))]),
        ("env in (prod, staging)", [("env", "in", ("prod", "staging"))]),
        ("env notin (a)", [("env", "notin", ("a",))]),
        ("canary,!beta", [("canary", "exists", ()), ("beta", "!exists", ())]),
        ("example.com/team = a.b-c_d", [("example.com/team", "=", ("a.b-c_d",))]),
        ("app=", [("app", "=", ("",))]),
    ],
)
def test_selectors(selector: str, clauses: list[tuple[str, str, tuple[str, ...]]]) -> None:
    assert [(r.key, r.op, r.values) for r in parse_selector(selector)] == clauses


@pytest.mark.parametrize(
    "selector", ["=a", "a b=c", "a=b c", "a in b", "env (a)", "a=b=c", "!", "a,,b", "(a", "a)", "Ex.com/x=1", "a=-b"]
)
def test_bad_selectors(selector: str) -> None:
    with pytest.raises(ValueError):
        parse_selector(selector)


def test_a_selector_over_its_limit_names_it() -> None:
    with pytest.raises(ValueError, match=f"the limit is {SELECTOR_CHARS:,}"):
        parse_selector("a," * SELECTOR_CHARS)


def test_a_message_over_slacks_limit_is_refused_before_parsing() -> None:
    with pytest.raises(ParseError) as e:
        parse("get pods " + "x" * MESSAGE_CHARS, REGISTRY)
    assert f"the limit is {MESSAGE_CHARS:,}" in e.value.message


def test_errors_quote_hostile_input_short() -> None:
    long_word = "q" * 5000
    for text in (long_word, f"get pods {long_word}", f"get pods --{long_word}", f'get pods "{long_word}'):
        with pytest.raises(ParseError) as e:
            parse(text, REGISTRY)
        assert len(str(e.value)) < 600, text[:20]
        assert "q" * 70 + "… (4,9" in str(e.value)  # its start, and how much was left out


def test_cron_expressions_have_a_length_limit() -> None:
    with pytest.raises(CronError, match="the limit is 200"):
        parse_cron(",".join(["0"] * 200) + " * * * *")
    assert parse_cron("0,15,30,45 8-18 * * mon-fri").minutes == (0, 15, 30, 45)


def test_a_huge_number_is_refused_plainly() -> None:
    with pytest.raises(UsageError, match="far too large a number"):
        parse("scale web " + "9" * 5000, REGISTRY)


# The shapes that made the old patterns backtrack, and others like them: each check must take time
# linear in its input (four times the input, about four times the time; never sixteen).
# Image names are at most 255 characters, so their shapes are measured at 60 and 240.
HOSTILE = {
    "image: letters then !": lambda n: ("a" * n + "!", image_reference),
    "image: path parts": lambda n: ("a/" * (n // 2) + "!", image_reference),
    "image: separators": lambda n: ("a-" * (n // 2) + "_", image_reference),
    "image: long tag": lambda n: ("a" * n + ":" + "b" * 120 + "!", image_reference),
    "name: dashes": lambda n: ("a" + "-" * (n - 2) + "!", dns_subdomain),
    "selector: commas": lambda n: ("a=b," * (n // 4) + "!", parse_selector),
    "selector: parentheses": lambda n: ("a in (" + "b," * (n // 2), parse_selector),
    "message: quotes": lambda n: ("get pods " + '"a" ' * (n // 4) + '"', lambda t: parse(t, REGISTRY)),
    "message: unknown": lambda n: ("x" * n, lambda t: parse(t, REGISTRY)),
}


@pytest.mark.parametrize("shape", HOSTILE)
def test_hostile_input_costs_linear_time(shape: str) -> None:
    def run(n: int) -> None:
        text, check = HOSTILE[shape](n)
        with contextlib.suppress(ValueError, ParseError):
            check(text)

    sizes = (60, 240) if shape.startswith("image") else (1000, 4000)
    assert grows_linearly(run, sizes=sizes), shape
