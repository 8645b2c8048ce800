"""Changing a Deployment: scale, restart.

Every change is first sent as a server-side dry run (the API server validates it and shows the
result, storing nothing), then made with field manager `pilothouse`, the change-cause recorded
(who, from where, what, why), and guarded by the resourceVersion it was based on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from bot.handlers.format import plural, where
from bot.handlers.lookup import get_deployment, get_node, get_pod
from commands.deploy import Change, Cordon, DeletePod, Deploy, Pause, Restart, Resume, Rollback, Scale, Uncordon
from commands.errors import Invalid
from commands.registry import Action
from commands.replies import Actions, Awaiting, Button, Fields, Follow, Heading, Notice, Paragraph, Reply
from integrations.cluster.model import DeploymentInfo
from integrations.cluster.port import Cluster


def change_cause(action: Change, ctx: Context, what: str) -> str:
    # By ID, the display name only beside it: anyone can call themselves "root (approved by CISO)".
    cause = f"{what} by {ctx.who} from {ctx.where} via Pilothouse"
    return f"{cause}: {action.reason}" if action.reason else cause


def _ask(action: Change, command: str, summary: str, question: str, preview: Fields) -> Reply:
    """The preview, a question, and the change kept waiting for `yes` (2 minutes)."""
    return _ask_with(action.model_dump(exclude={"confirmed"}, exclude_none=True), command, summary, question, preview)


def _ask_with(arguments: dict[str, Any], command: str, summary: str, question: str, preview: Fields) -> Reply:
    buttons = (Button("Yes, go ahead", "yes", changes_cluster=True, style="danger"), Button("Cancel", "no"))
    return Reply(
        (
            Heading(question),
            preview,
            Paragraph("Reply `yes` within 2 minutes to go ahead, or `no` to cancel."),
            Actions(buttons),
        ),
        awaiting=Awaiting(command, arguments, summary),
    )


def _target(action: Change, ctx: Context, *, unless_paused: str | None = None) -> tuple[Cluster, str, DeploymentInfo]:
    """The cluster, namespace and current state of the Deployment an action changes.

    `unless_paused` names the verb to refuse on a paused Deployment, as kubectl refuses it: a
    paused Deployment would not roll, and the change would wait unseen.
    """
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    before = get_deployment(cluster, namespace, action.name)
    if unless_paused and before.paused:
        raise Invalid(f"`{action.name}` is paused: resume it first, then {unless_paused}.", cluster=cluster.name)
    return cluster, namespace, before


def scale(action: Scale, ctx: Context) -> Reply:
    cluster, namespace, before = _target(action, ctx)
    if before.desired == action.replicas:
        return Reply(
            (Notice("info", f"`{action.name}` already has {action.replicas} replicas; nothing to do."),),
            effect="nothing",
        )
    cause = change_cause(action, ctx, f"scale {action.name} {before.desired}→{action.replicas}")
    planned = cluster.scale_deployment(namespace, action.name, action.replicas, cause=cause, dry_run=True)
    preview = Fields((("Replicas", f"{before.desired} → {planned.desired}"), ("Where", where(namespace, cluster.name))))
    if ctx.confirm_first:
        question = f"Scale `{action.name}` to 0? Every pod of it will stop."
        return _ask(action, "scale", f"scale `{action.name}` to 0", question, preview)
    after = cluster.scale_deployment(namespace, action.name, action.replicas, cause=cause, dry_run=False)
    return Reply(
        (
            Heading(f"Scaled `{action.name}` in {where(namespace, cluster.name)}"),
            Fields((("Replicas", f"{before.desired} → {after.desired}"), ("Change-cause", cause))),
            Notice("ok", f"Done: {after.ready}/{after.desired} ready so far. `status -n {namespace}` follows it."),
        ),
        follow=Follow(cluster.name, namespace, action.name),
    )


def deploy(action: Deploy, ctx: Context) -> Reply:
    cluster, namespace, before = _target(action, ctx)
    containers = dict(before.images)
    if action.container is None and len(containers) > 1:
        # Which one? Each answer is a button (and a command to type).
        on = f" -n {namespace}" + (f" --cluster {action.cluster}" if action.cluster else "")
        buttons = tuple(
            Button(f"{name} ({image})", f"deploy {action.name} {action.image} -c {name}{on}", changes_cluster=True)
            for name, image in containers.items()
        )
        question = f"`{action.name}` has {len(containers)} containers: which one gets `{action.image}`?"
        return Reply((Heading(question), Actions(buttons)), effect="asked")
    container = action.container or next(iter(containers))
    if container not in containers:
        raise Invalid(
            f"`{action.name}` has no container `{container}`; it has: {', '.join(containers)}.", cluster=cluster.name
        )
    if containers[container] == action.image:
        return Reply(
            (Notice("info", f"`{action.name}` already runs `{action.image}`; nothing to do."),), effect="nothing"
        )
    change = f"{containers[container]} → {action.image}"
    cause = change_cause(action, ctx, f"deploy {action.name} {action.image}")
    cluster.set_image(namespace, action.name, container, action.image, cause=cause, dry_run=True)
    after = cluster.set_image(namespace, action.name, container, action.image, cause=cause, dry_run=False)
    return Reply(
        (
            Heading(f"Deploying `{action.image}` to `{action.name}` in {where(namespace, cluster.name)}"),
            Fields(
                (
                    ("Container", f"{container}: {change}"),
                    ("Revision", f"{before.revision} → {before.revision + 1}" if before.revision else "a new one"),
                    ("Change-cause", cause),
                )
            ),
            Notice(
                "ok",
                f"Rollout started ({plural(after.desired, 'pod')}). `status -n {namespace}` follows it; "
                f"`rollback {action.name}` undoes it.",
            ),
        ),
        follow=Follow(cluster.name, namespace, action.name),
    )


def restart(action: Restart, ctx: Context) -> Reply:
    cluster, namespace, before = _target(action, ctx, unless_paused="restart")
    at = ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    cause = change_cause(action, ctx, f"restart {action.name}")
    cluster.restart_deployment(namespace, action.name, cause=cause, at=at, dry_run=True)
    cluster.restart_deployment(namespace, action.name, cause=cause, at=at, dry_run=False)
    return Reply(
        (
            Heading(f"Restarting `{action.name}` in {where(namespace, cluster.name)}"),
            Fields(
                (
                    ("Pods", f"{before.desired} replaced, one batch at a time ({before.strategy})"),
                    # The controller numbers the new ReplicaSet after the patch returns: the newest + 1.
                    ("Revision", f"{before.revision} → {before.revision + 1}" if before.revision else "a new one"),
                    ("Change-cause", cause),
                )
            ),
            Notice("ok", f"Rollout started. `status -n {namespace}` or `history {action.name}` follow it."),
        ),
        follow=Follow(cluster.name, namespace, action.name),
    )


def rollback(action: Rollback, ctx: Context) -> Reply:
    cluster, namespace, before = _target(action, ctx, unless_paused="roll back")
    target = f"revision {action.to_revision}" if action.to_revision else "the previous revision"
    cause = change_cause(action, ctx, f"roll back {action.name} to {target}")
    planned = cluster.rollback_deployment(namespace, action.name, action.to_revision, cause=cause, dry_run=True)
    images = ", ".join(image for _, image in planned.images)
    if planned.skipped:
        text = f"Skipped: `{action.name}` already runs the template of revision {planned.revision} ({images})."
        return Reply((Notice("info", text),), effect="nothing")
    done = cluster.rollback_deployment(namespace, action.name, action.to_revision, cause=cause, dry_run=False)
    old_images = ", ".join(image for _, image in before.images)
    return Reply(
        (
            Heading(f"Rolling back `{action.name}` to revision {done.revision} in {where(namespace, cluster.name)}"),
            Fields((("Images", f"{old_images} → {images}"), ("Change-cause", cause))),
            Notice("ok", f"Rollout started. `history {action.name}` shows it as the newest revision."),
        ),
        follow=Follow(cluster.name, namespace, action.name),
    )


def _pause_or_resume(action: Pause | Resume, ctx: Context) -> Reply:
    cluster, namespace, before = _target(action, ctx)
    pause = isinstance(action, Pause)
    if before.paused == pause:
        state = "already paused" if pause else "not paused"
        return Reply((Notice("info", f"`{action.name}` is {state}; nothing to do."),), effect="nothing")
    verb = "pause" if pause else "resume"
    cause = change_cause(action, ctx, f"{verb} {action.name}")
    cluster.set_paused(namespace, action.name, pause, cause=cause, dry_run=True)
    cluster.set_paused(namespace, action.name, pause, cause=cause, dry_run=False)
    effect = (
        "Template changes now wait; `resume` rolls them out." if pause else "Changes made while paused roll out now."
    )
    heading = Heading(f"{'Paused' if pause else 'Resumed'} `{action.name}` in {where(namespace, cluster.name)}")
    return Reply((heading, Fields((("Change-cause", cause),)), Notice("ok", effect)))


def _cordon_or_uncordon(action: Cordon | Uncordon, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    cordon = isinstance(action, Cordon)
    before = get_node(cluster, action.node)
    if before.unschedulable == cordon:
        state = "already cordoned" if cordon else "not cordoned"
        return Reply((Notice("info", f"Node `{action.node}` is {state}; nothing to do."),), effect="nothing")
    cluster.set_unschedulable(action.node, cordon, dry_run=True)
    preview = Fields((("Node", f"{action.node} ({before.status})"), ("Cluster", cluster.name)))
    if ctx.confirm_first:
        arguments = action.model_dump(exclude={"confirmed"}, exclude_none=True)
        question = f"Cordon node `{action.node}`? No new pods will be scheduled on it."
        return _ask_with(arguments, "cordon", f"cordon node `{action.node}`", question, preview)
    after = cluster.set_unschedulable(action.node, cordon, dry_run=False)
    effect = (
        "No new pods will be scheduled here; pods already on it keep running."
        if cordon
        else "New pods may be scheduled here again."
    )
    return Reply(
        (
            Heading(f"{'Cordoned' if cordon else 'Uncordoned'} node `{action.node}`"),
            Fields((("Status", after.status),)),
            Notice("ok", effect),
        )
    )


def delete_pod(action: DeletePod, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    pod = get_pod(cluster, namespace, action.pod)
    cluster.delete_pod(namespace, action.pod, dry_run=True)
    fate = "its ReplicaSet starts a replacement" if pod.owner else "it has no controller: it will not come back"
    if ctx.confirm_first:
        arguments = action.model_dump(exclude={"confirmed"}, exclude_none=True)
        preview = Fields((("Pod", f"{pod.name} ({pod.status}, {pod.restarts} restarts)"), ("Then", fate)))
        question = f"Delete pod `{action.pod}`?"
        return _ask_with(arguments, "delete pod", f"delete pod `{action.pod}`", question, preview)
    cluster.delete_pod(namespace, action.pod, dry_run=False)
    return Reply(
        (Heading(f"Deleted pod `{action.pod}` in {where(namespace, cluster.name)}"), Notice("ok", f"Done: {fate}."))
    )


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    Deploy: deploy,
    DeletePod: delete_pod,
    Scale: scale,
    Restart: restart,
    Rollback: rollback,
    Pause: _pause_or_resume,
    Resume: _pause_or_resume,
    Cordon: _cordon_or_uncordon,
    Uncordon: _cordon_or_uncordon,
}
