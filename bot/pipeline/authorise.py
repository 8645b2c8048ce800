"""Step 3: the command becomes a policy `Request`, and the policy decides.

What a request is about comes from the action alone, after defaults and topic were applied:
its cluster, the namespace it touches (None: cluster-wide), and what the role limits look at
(replicas, an image). Whatever path the command came by (typed, a button, a `yes`, a
conversation's topic) it is decided here, the same way.
"""

from __future__ import annotations

from datetime import datetime

from bot.access import Access
from bot.message import Message
from bot.policy.engine import Decision, Request
from bot.policy.explain import refusal
from bot.policy.subject import Subject
from bot.trace import Trace
from commands.parser import Parsed
from commands.read import OnCluster
from integrations.cluster.clusters import Clusters


def workload(parsed: Parsed) -> tuple[str, str] | None:
    """(plural, name) of the workload a command names (`deploy sts/db`, `lock web`), or None."""
    target = getattr(parsed.action, "target", None)
    if isinstance(target, tuple) and len(target) == 2 and all(isinstance(t, str) for t in target):
        return target[0], target[1]
    return None


def request_for(parsed: Parsed, message: Message, clusters: Clusters, *, at: datetime) -> Request:
    """`at`: now, by the pipeline's clock (freezes are decided for that moment)."""
    spec, action = parsed.spec, parsed.action
    cluster = namespace = None
    whole_cluster: bool | None = None
    if isinstance(action, OnCluster):
        target = clusters.get(action.cluster)  # an unknown cluster is refused here, listing the known ones
        cluster, namespace = target.name, action.scope(target.default_namespace)
    elif isinstance(named := getattr(action, "cluster", None), str):  # whoami --cluster, audit --cluster
        cluster, whole_cluster = clusters.get(named).name, False
    replicas = getattr(action, "replicas", None)
    image = getattr(action, "image", None)
    named = workload(parsed)
    return Request(
        action.command_name(spec.name),  # `get statefulsets` for `get sts`: as roles name it
        spec.access,
        message.channel,
        cluster,
        namespace,
        replicas=replicas if isinstance(replicas, int) else None,
        image=image if isinstance(image, str) else None,
        whole_cluster=whole_cluster,
        destructive=spec.destructive(action),
        app=named[1] if named else None,
        at=at,
        break_glass=getattr(action, "break_glass", False) is True,
    )


def authorise(access: Access, subject: Subject, request: Request, trace: Trace) -> Decision:
    """The decision, recorded in the trace; a refusal (or a needed approval) raises PolicyDenied."""
    return enforce(access, request, access.authorise(subject, request), trace)


def enforce(access: Access, request: Request, decision: Decision, trace: Trace) -> Decision:
    """A decision already taken, recorded in the trace; a refusal raises PolicyDenied."""
    trace.decided(request, decision)
    if not decision.allowed:
        raise refusal(decision, request, access.policy.current)
    return decision
