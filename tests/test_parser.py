"""The parser turns chat text into typed actions, or into errors a person can act on."""

from __future__ import annotations

import pytest

from commands import default_registry
from commands.errors import ParseError, UnknownCommand, UsageError
from commands.meta import Help
from commands.parser import normalise, parse
from commands.read import Describe, GetResources, History, Logs, Status

REGISTRY = default_registry()


def action(text: str):  # type: ignore[no-untyped-def]
    return parse(text, REGISTRY).action


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("get pods", GetResources(kind="pods")),
        ("get po -n shop", GetResources(kind="pods", namespace="shop")),
        ("GET PODS --namespace=shop", GetResources(kind="pods", namespace="shop")),
        ("get pods -nshop", GetResources(kind="pods", namespace="shop")),
        ("get deploy -A", GetResources(kind="deployments", all_namespaces=True)),
        ("get no", GetResources(kind="nodes")),
        ("get ev -n payments", GetResources(kind="events", namespace="payments")),
        ("get ns", GetResources(kind="namespaces")),
        (
            "get pods -l app=web,tier!=db --cluster prod-eu",
            GetResources(kind="pods", selector="app=web,tier!=db", cluster="prod-eu"),
        ),
        (
            "get pods -l 'env in (prod, staging),!canary'",
            GetResources(kind="pods", selector="env in (prod, staging),!canary"),
        ),
        ("describe deploy web -n shop", Describe(kind="deployments", name="web", namespace="shop")),
        ("describe pod web-abc-x1", Describe(kind="pods", name="web-abc-x1")),
        ("describe sts/db", Describe(kind="statefulsets", name="db")),
        ("get sts -A", GetResources(kind="statefulsets", all_namespaces=True)),
        ("get deploy/web -o yaml", GetResources(kind="deployments", name="web", output="yaml")),
        ("get certificates.cert-manager.io", GetResources(kind="certificates.cert-manager.io")),
        ("get Certificate web-tls", GetResources(kind="certificate", name="web-tls")),
        ("logs deploy/web --tail 5", Logs(target="deploy/web", tail=5)),
        ("logs web-abc-x1 -c nginx -p", Logs(target="web-abc-x1", container="nginx", previous=True)),
        ("status -n shop", Status(namespace="shop")),
        ("health", Status()),
        ("history web", History(name="web")),
        ("history deployment web -n shop", History(name="web", namespace="shop")),
        ("rollout history web", History(name="web")),
        ("help get pods", Help(topic="get pods")),
        ("help", Help()),
    ],
)
def test_parses_into_typed_actions(text: str, expected: object) -> None:
    assert action(text) == expected


def test_actions_are_frozen_and_strict() -> None:
    parsed = action("get pods -n shop")
    with pytest.raises(Exception, match="frozen"):
        parsed.namespace = "other"
    with pytest.raises(Exception, match="Extra inputs"):
        GetResources(kind="pods", colour="blue")  # type: ignore[call-arg]


def test_chat_autocorrect_is_undone() -> None:
    # Slack turns -- into an em dash and quotes into curly quotes.
    assert normalise("get pods \u2014namespace \u201cshop\u201d") == 'get pods --namespace "shop"'
    assert action("get pods \u2014namespace \u201cshop\u201d") == GetResources(kind="pods", namespace="shop")
    assert action("get pods \u2013all-namespaces") == GetResources(kind="pods", all_namespaces=True)


def test_unknown_command_suggests_the_closest() -> None:
    with pytest.raises(UnknownCommand) as e:
        parse("gte pods", REGISTRY)
    assert "get pods" in e.value.suggestions
    assert "Did you mean `get pods`" in str(e.value)


def test_unknown_command_without_anything_close_points_to_help() -> None:
    with pytest.raises(UnknownCommand, match="Type `help`"):
        parse("make coffee", REGISTRY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('get pods -n "shop', 'Unbalanced quotes: a `"` is opened but never closed'),
        ("get pods -n Shop", "Invalid `--namespace`: `Shop` is not a valid name"),
        ("get pods -n shop_1", "`shop_1` is not a valid name"),
        ("describe pod Bad/Name", "`Bad/Name` is not an object name"),
        ("get pods -l 'app in (a,b'", "has a `(` that is never closed"),
        ("get pods -l '=web'", "is not a label selector requirement"),
        ("logs web --tail ten", "Invalid `--tail`: `ten` is not a whole number"),
        ("logs web --tail 0", "greater than or equal to 1"),
        ("logs web --tail 99999", "less than or equal to 5000"),
        ("logs svc/web", "`svc/` is not a log source"),
        ("get pods -n shop -A", "use either `-n NAMESPACE` or `-A`, not both"),
        ("get pods --namespcae shop", "has no option `--namespcae`. Did you mean `--namespace`?"),
        ("get pods -n", "`-n` needs a value: NAMESPACE"),
        ("get pods -n a -n b", "`-n` is given twice"),
        ("get pods one two", "Unexpected argument `two`"),
        ("describe deployment", "say which one: `describe KIND NAME` or `describe KIND/NAME`"),
        ("get", "`get` needs KIND"),
        ("get deploy -o json", "Invalid `--output`"),
        ("get deploy -o yaml", "`-o yaml` shows one object: give its NAME"),
        ("get 'pods!'", "is not a kind"),
        ("get " + "a" * 400, "a kind is 1 to"),
        ("get deploy/web web", "give either `KIND/NAME` or `KIND NAME`, not both"),
        ("scale sts/db", "`scale` needs REPLICAS"),
        ("scale ds/agent 3", "`scale` works on Deployments, StatefulSets, not on DaemonSets"),
        ("pause sts/db", "`pause` works on Deployments, not on StatefulSets"),
        ("run web", "`run` works on CronJobs, not on Deployments"),
        ("deploy svc/web nginx:1", "`svc/` is not a workload kind"),
        ("scale web 3 --min 2", "give either REPLICAS or `--min`/`--max`, not both"),
        ("scale web --min 5 --max 2", "`--min 5` is above `--max 2`"),
        ("get pods -A=yes", "takes no value"),
    ],
)
def test_bad_input_says_what_was_wrong(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(text, REGISTRY)
    assert message in str(e.value)


def test_usage_errors_carry_the_generated_usage() -> None:
    with pytest.raises(UsageError) as e:
        parse("logs", REGISTRY)
    assert e.value.usage == "logs POD|deploy/NAME [-c CONTAINER] [--tail N] [-p] [-n NAMESPACE] [--cluster CLUSTER]"
    assert "Usage: `logs POD|deploy/NAME" in str(e.value)


def test_empty_message() -> None:
    with pytest.raises(ParseError, match="empty"):
        parse("   ", REGISTRY)


def test_longest_prefix_wins() -> None:
    # `history deployment web` is the alias, not `history` with NAME=deployment.
    assert parse("history deployment web", REGISTRY).spec.name == "history"
    assert action("history deployment web").name == "web"


def test_registry_rejects_a_phrase_declared_twice() -> None:
    from commands.registry import Registry

    specs = list(REGISTRY)
    with pytest.raises(ValueError, match="declared twice"):
        Registry([*specs, specs[0]])


def test_scope_says_which_namespace_an_action_touches() -> None:
    assert action("get pods").scope("shop") == "shop"
    assert action("get pods -n payments").scope("shop") == "payments"
    assert action("get pods -A").scope("shop") is None
    assert action("get nodes").scope("shop") is None
