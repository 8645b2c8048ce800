"""Secrets never shown: against a real Secret in the real control plane, every reply (as text
and as Block Kit), every log line (at DEBUG, as the bot writes them) and every audit entry is
searched for its values. `get secrets` shows names, types and key names; `describe pod` shows
where an env value comes from; token-like strings anywhere in output are masked."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets as random
from collections.abc import Iterator

import pytest

from bot import logs
from bot.audit import AUDIT_STREAM
from commands.redact import MASK, mask
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.blocks import render_details, render_message
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from tests.chat import Chat, chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.demo_seed import wait_for
from tests.hardening.scaling import grows_linearly
from tests.policies import writers


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """The bot's own log handler (JSON lines, masking filter) at DEBUG, into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("DEBUG", json_lines=True)
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:], root.level = saved
    logging.getLogger("pilothouse.audit").setLevel(logging.NOTSET)


def everything(c: Chat, store: MemoryStore, log: io.StringIO) -> str:
    """All a person, an operator or a SIEM could read after these commands."""
    shown = []
    for reply in c.replies:
        shown.append(render(reply))
        for message in (render_message(reply), render_details(reply)):
            if message is not None:
                shown.append(message.text + json.dumps(message.blocks))
                if message.attachment is not None:
                    shown.append(message.attachment.content)
    audit = [value for _, value in store.stream_range(AUDIT_STREAM, count=10_000)]
    return "\n".join([*shown, *audit, log.getvalue()])


@pytest.mark.cluster
def test_a_real_secret_never_shows(control_plane: ControlPlane, namespace: str, bot_log: io.StringIO) -> None:
    password, token = random.token_hex(16), f"xoxb-{random.randbelow(10**12)}-{random.token_hex(12)}"
    values = {"password": password, "slack-token": token}
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": namespace},
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }
    leaked = f"Bearer {random.token_urlsafe(24)}"  # a literal value in the pod spec: masked when shown
    container = {
        "name": "app",
        "image": "nginx:1",
        "env": [
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
            {"name": "AUTH_HEADER", "value": leaked},
            {"name": "MODE", "value": "production"},
        ],
        "envFrom": [{"secretRef": {"name": "db"}, "prefix": "DB_"}],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [container]}},
        },
    }
    api = control_plane.admin_api_client()
    apply_objects(api, [secret, deployment])
    real = {c.name: c for c in clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)[0]}
    store = MemoryStore()
    c = chat(real["test-admin"], policy=writers("alice"), store=store)
    wait_for(lambda: "api-" in c.say(f"get pods -n {namespace}"), "the api pod")
    pod = next(row[0] for b in c.last.blocks if hasattr(b, "rows") for row in b.rows)  # type: ignore[attr-defined]

    listed = c.say(f"get secrets -n {namespace}")
    assert "db" in listed and "Opaque" in listed and "password, slack-token" in listed
    described = c.say(f"describe pod {pod} -n {namespace}")
    assert "DB_PASSWORD  <from secret db, key password>" in described
    assert "DB_*         <from every key of secret db>" in described
    assert f"AUTH_HEADER  Bearer {MASK}" in described and "MODE         production" in described
    c.say("get secrets -A")
    c.say(f"describe deployment api -n {namespace}")
    c.say(f"status -n {namespace}")
    c.say(f"digest now -n {namespace}")
    c.say(f"get secrets db -n {namespace} --reason {password}")  # pasted by mistake: refused, never echoed

    seen = everything(c, store, bot_log)
    assert "DB_PASSWORD" in seen and '"level": "debug"' in seen  # the haystack is the real one
    encoded = [base64.b64encode(v.encode()).decode() for v in values.values()]
    for needle in (*values.values(), *encoded, leaked.split()[1]):
        assert needle not in seen, f"a secret value was shown: {needle[:6]}…"


def test_token_like_strings_are_masked_wherever_they_appear(
    monkeypatch: pytest.MonkeyPatch, bot_log: io.StringIO
) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW5vdC1yZWFs"
    lines = [
        f"connecting with {jwt}",
        "slack token xoxb-123456789012-123456789012-abcdefghijABCDEFGHIJ0123",
        "aws key AKIAIOSFODNN7EXAMPLE and aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAx9Y",
        "-----END RSA PRIVATE KEY-----",
        "GET /products/7 200",
    ]
    from integrations.cluster import demo

    monkeypatch.setattr(demo, "log_lines", lambda namespace, pod, container: lines)
    store = MemoryStore()
    c = chat(SimulatedCluster.demo(), store=store)
    text = c.say("logs deploy/web --tail 10")
    for secret in (jwt, "xoxb-1234", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "MIIEowIBAAKCAQEAx9Y"):
        assert secret not in everything(c, store, bot_log)
    assert "GET /products/7 200" in text and text.count(MASK) >= 4


def test_the_bots_own_secrets_never_reach_a_log_line(bot_log: io.StringIO) -> None:
    from bot import wiring
    from bot.settings import Settings

    token = f"xoxb-{random.token_hex(20)}"
    secret = random.token_hex(16)  # a signing secret looks like nothing in particular: masked by value
    wiring.build(Settings(slack_bot_token=token, slack_signing_secret=secret), user="nobody")
    log = logging.getLogger("anything")
    log.debug("settings: token=%s secret=%s", token, secret)
    log.error("boom", exc_info=ValueError(f"while using {secret}"))
    written = bot_log.getvalue()
    assert token not in written and secret not in written and written.count(MASK) >= 3


@pytest.mark.parametrize(
    "unit", ["eyJ", "eyJa.", "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----", "Bearer ", "xoxb-", "AKIA", "a=b "]
)
def test_masking_grows_linearly_even_for_hostile_text(unit: str) -> None:
    assert grows_linearly(lambda n: mask(unit * (n // len(unit) + 1))), unit
