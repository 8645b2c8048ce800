"""Masking token-like strings in anything Pilothouse shows, logs or records.

Recognised: Slack tokens (`xoxb-…`, `xapp-…`), credentials after `Bearer`/`Basic`,
JWTs, AWS access key IDs and secret keys given as such, GitHub and Stripe tokens, and PEM
private key blocks. Known secret values (the bot's own settings) are masked too, by value.

Linear in the text's length, whatever it holds: the text is cut into runs of token
characters by one simple character class (each run matched once), each run is judged with
prefix tests and plain splits, and the only other patterns start with a literal word and
have no nested repetition. Private key blocks are found with `str.find`.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

T = TypeVar("T")

MASK = "[masked]"
_RUN = re.compile(r"[A-Za-z0-9_\-.~+/]{8,}")
_AFTER_WORD = re.compile(r"\b(Bearer|bearer|Basic)([ \t]+)([A-Za-z0-9_\-.~+/]{16,}=*)")
_AWS_SECRET = re.compile(
    r"(?i)(aws_secret_access_key|secretaccesskey)([\"']?[ \t]*[=:][ \t]*[\"']?)([A-Za-z0-9/+=]{30,})"
)
_AWS_KEY_ID = re.compile(r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}")
_PREFIXES = (
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "xoxe-",
    "xoxe.",
    "xapp-",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
)
_BEGIN, _END, _DASHES = "-----BEGIN ", "-----END ", "-----"

_known: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Mask this exact value everywhere from now on (the bot's tokens and passwords)."""
    if value and len(value) >= 6:
        _known.add(value)


def _run(match: re.Match[str]) -> str:
    run = match.group(0)
    if run.startswith(_PREFIXES):
        return MASK
    parts = run.split(".")
    if any(parts[i].startswith("eyJ") and parts[i + 1].startswith("eyJ") for i in range(len(parts) - 2)):
        return MASK  # a JWT: header.payload.signature
    return _AWS_KEY_ID.sub(MASK, run) if "A" in run else run


def _private_keys(text: str) -> str:
    out, at = [], 0
    while (begin := text.find(_BEGIN, at)) >= 0:
        label_end = text.find(_DASHES, begin + len(_BEGIN))
        if label_end < 0:
            break
        if not text[begin:label_end].endswith("PRIVATE KEY"):
            out.append(text[at : label_end + len(_DASHES)])
            at = label_end + len(_DASHES)
            continue
        out.append(text[at:begin] + MASK)
        end = text.find(_END, label_end)
        close = text.find(_DASHES, end + len(_END)) if end >= 0 else -1
        at = close + len(_DASHES) if close >= 0 else len(text)  # an unterminated block: the rest goes
    out.append(text[at:])
    return "".join(out)


def mask(text: str) -> str:
    """The text with every token-like string replaced by `[masked]`."""
    if not text:
        return text
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    if _BEGIN in text:
        text = _private_keys(text)
    text = _AFTER_WORD.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _AWS_SECRET.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return _RUN.sub(_run, text)


def mask_value(value: T) -> T:
    """Every string inside dicts, lists, tuples and dataclasses, masked."""
    return _mask(value)  # type: ignore[no-any-return]


def _mask_items(items: list[Any]) -> list[Any]:
    """Each item masked; and a private key split over several items (log lines) masked whole:
    every item from the one that begins the key to the one that ends it."""
    out, in_key = [], False
    for item in items:
        if isinstance(item, str) and in_key:
            in_key = _END not in item
            out.append(MASK)
            continue
        if isinstance(item, str) and _BEGIN in item and "PRIVATE KEY" in item:
            in_key = _END not in item[item.rfind(_BEGIN) :]
        out.append(_mask(item))
    return out


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return _mask_items(value)
    if isinstance(value, tuple):
        return tuple(_mask_items(list(value)))
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _mask(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changes)
    return value
