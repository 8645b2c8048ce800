"""Changing workloads: deploy, scale (or its HPA's limits), restart, rollback, pause/resume —
for Deployments, StatefulSets and DaemonSets alike (CronJobs: cronjobs.py; nodes, pods: nodes.py).

Every change goes through the one write path (integrations.cluster.workloads): first a
server-side dry run (the API server validates it and shows the result, storing nothing), then
made with field manager `pilothouse`, the change-cause recorded (who, from where, what, why),
and guarded by the resourceVersion it was based on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from bot.handlers.cronjobs import suspension
from bot.handlers.describe import autoscaler_of
from bot.handlers.format import plural, where
from bot.handlers.targets import Target, change_cause, rollout_notice, target
from commands.deploy import (
    Deploy,
    Pause,
    Restart,
    Resume,
    Rollback,
    Scale,
)
from commands.errors import Invalid
from commands.registry import Action
from commands.replies import Actions, Button, Fields, Heading, Notice, Paragraph, Reply
from integrations.cluster import patches, resources, workloads
from integrations.cluster.rollout import Rollback as RollbackPlan
from integrations.cluster.workload_model import WorkloadInfo, autoscaler_from, workload_from

# --- scale --------------------------------------------------------------------------------------


def scale(action: Scale, ctx: Context) -> Reply:
    if action.replicas is None:
        return _scale_autoscaler(action, ctx)
    t = target(action, ctx)
    before = t.workload
    hpa = autoscaler_of(t.cluster, t.namespace, before.kind, t.name)
    if hpa is not None:
        n = action.replicas
        low, high = (min(n, hpa.minimum), max(n, hpa.maximum)) if n else (hpa.minimum, hpa.maximum)
        command = f"scale {t.ref} --min {max(1, n) if n else low} --max {high} -n {t.namespace}"
        return Reply(
            (
                Notice(
                    "warning",
                    f"{t.label} is scaled by the HorizontalPodAutoscaler `{hpa.name}` ({hpa.minimum} to "
                    f"{hpa.maximum} replicas, now {hpa.current}): it would override {action.replicas} replicas.",
                ),
                Paragraph(f"Change the autoscaler's limits instead: `{command}`."),
                Actions((Button(f"Set {hpa.name}'s limits", command, changes_cluster=True),)),
            ),
            effect="nothing",
        )
    if before.desired == action.replicas:
        return Reply(
            (Notice("info", f"{t.label} already has {action.replicas} replicas; nothing to do."),), effect="nothing"
        )
    cause = change_cause(action, ctx, f"scale {t.ref} {before.desired}→{action.replicas}")
    body = patches.scale(action.replicas)
    after = workload_from(
        t.kind,
        workloads.both(
            lambda dry: workloads.change(t.cluster, t.resource, t.namespace, t.name, body, cause=cause, dry_run=dry)
        ),
    )
    return Reply(
        (
            Heading(f"Scaled {t.label} in {where(t.namespace, t.cluster.name)}"),
            Fields((("Replicas", f"{before.desired} → {after.desired}"), ("Change-cause", cause))),
            Notice("ok", f"Done: {after.ready}/{after.desired} ready so far. `status -n {t.namespace}` follows it."),
        ),
        follow=t.follow(),
    )


def _scale_autoscaler(action: Scale, ctx: Context) -> Reply:
    """`scale NAME --min N --max M`: the limits of the HPA that scales NAME (or of the HPA NAME)."""
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    kind, name = action.target
    resource = resources.require(cluster, resources.AUTOSCALERS)
    all_hpas = cluster.list_objects(resource, namespace, lambda o: o)
    kind_name = resources.WORKLOADS[kind].label
    found = next((h for h in all_hpas if autoscaler_from(h).controls(kind_name, name)), None)
    found = found or next((h for h in all_hpas if h["metadata"]["name"] == name and kind == "deployments"), None)
    if found is None:
        raise Invalid(
            f"No HorizontalPodAutoscaler scales `{name}` in namespace `{namespace}` on `{cluster.name}`.",
            cluster=cluster.name,
            hint="`get hpa` lists them; without one, `scale NAME REPLICAS` sets the replicas.",
        )
    hpa = autoscaler_from(found)
    low = action.minimum if action.minimum is not None else hpa.minimum
    high = action.maximum if action.maximum is not None else hpa.maximum
    if low > high:
        raise Invalid(f"`--min {low}` would be above the autoscaler's maximum {high}.", cluster=cluster.name)
    if (low, high) == (hpa.minimum, hpa.maximum):
        return Reply(
            (Notice("info", f"`{hpa.name}` already scales {low} to {high}; nothing to do."),), effect="nothing"
        )
    cause = change_cause(action, ctx, f"scale {action.name} --min {low} --max {high}")
    workloads.both(
        lambda dry: workloads.change(
            cluster, resource, namespace, hpa.name, patches.autoscaling_limits(low, high), cause=cause, dry_run=dry
        )
    )
    return Reply(
        (
            Heading(f"HorizontalPodAutoscaler `{hpa.name}` in {where(namespace, cluster.name)}"),
            Fields(
                (
                    ("Scales", f"{hpa.target_kind}/{hpa.target_name}"),
                    ("Replicas", f"{hpa.minimum}–{hpa.maximum} → {low}–{high} (now {hpa.current})"),
                    ("Change-cause", cause),
                )
            ),
            Notice("ok", "Done: the autoscaler keeps the replicas within the new limits."),
        )
    )


# --- deploy, restart, rollback ------------------------------------------------------------------


def deploy(action: Deploy, ctx: Context) -> Reply:
    t = target(action, ctx)
    template = patches.pod_template(t.kind, t.obj)
    containers = {c["name"]: c.get("image", "") for c in template.get("spec", {}).get("containers", [])}
    if action.container is None and len(containers) > 1:
        # Which one? Each answer is a button (and a command to type).
        on = f" -n {t.namespace}" + (f" --cluster {action.cluster}" if action.cluster else "")
        buttons = tuple(
            Button(f"{name} ({image})", f"deploy {t.ref} {action.image} -c {name}{on}", changes_cluster=True)
            for name, image in containers.items()
        )
        question = f"{t.label} has {len(containers)} containers: which one gets `{action.image}`?"
        return Reply((Heading(question), Actions(buttons)), effect="asked")
    container = action.container or next(iter(containers))
    if container not in containers:
        raise Invalid(
            f"{t.label} has no container `{container}`; it has: {', '.join(containers)}.", cluster=t.cluster.name
        )
    if containers[container] == action.image:
        return Reply((Notice("info", f"{t.label} already runs `{action.image}`; nothing to do."),), effect="nothing")
    cause = change_cause(action, ctx, f"deploy {t.ref} {action.image}")
    after = t.change(patches.image(t.kind, container, action.image), cause)
    fields = [("Container", f"{container}: {containers[container]} → {action.image}")]
    if t.kind == "deployments":
        revision = t.workload.revision
        fields.append(("Revision", f"{revision} → {int(revision) + 1}" if revision else "a new one"))
    fields.append(("Change-cause", cause))
    if t.kind == "cronjobs":
        return Reply(
            (
                Heading(f"Set `{action.image}` in {t.label} in {where(t.namespace, t.cluster.name)}"),
                Fields(tuple(fields)),
                Notice("ok", f"Its next Job runs it; `run {t.ref}` starts one now."),
            )
        )
    pods = workload_from(t.kind, after).desired
    notice, follow = rollout_notice(
        t,
        f"Rollout started ({plural(pods, 'pod')}). `status -n {t.namespace}` follows it; `rollback {t.ref}` undoes it.",
    )
    heading = Heading(f"Deploying `{action.image}` to {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields(tuple(fields)), notice), follow=follow)


def restart(action: Restart, ctx: Context) -> Reply:
    t = target(action, ctx, unless_paused="restart")
    before = t.workload
    at = ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    cause = change_cause(action, ctx, f"restart {t.ref}")
    t.change(patches.restart(t.kind, at), cause)
    fields = [("Pods", f"{before.desired} replaced, one batch at a time ({before.strategy})")]
    if t.kind == "deployments":
        # The controller numbers the new ReplicaSet after the patch returns: the newest + 1.
        fields.append(
            ("Revision", f"{before.revision} → {int(before.revision) + 1}" if before.revision else "a new one")
        )
    fields.append(("Change-cause", cause))
    notice, follow = rollout_notice(t, f"Rollout started. `status -n {t.namespace}` or `history {t.ref}` follow it.")
    heading = Heading(f"Restarting {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields(tuple(fields)), notice), follow=follow)


def rollback(action: Rollback, ctx: Context) -> Reply:
    t = target(action, ctx, unless_paused="roll back")
    wanted = f"revision {action.to_revision}" if action.to_revision else "the previous revision"
    cause = change_cause(action, ctx, f"roll back {t.ref} to {wanted}")

    def run(dry: bool) -> RollbackPlan:
        return workloads.rollback(
            t.cluster, t.resource, t.namespace, t.name, action.to_revision, cause=cause, dry_run=dry
        )

    planned = run(True)
    images = ", ".join(image for _, image in planned.images)
    if planned.skipped:
        text = f"Skipped: {t.label} already runs the template of revision {planned.revision} ({images})."
        return Reply((Notice("info", text),), effect="nothing")
    before = t.workload
    done = run(False)
    old_images = ", ".join(image for _, image in before.images)
    blocks: list[Any] = [
        Heading(f"Rolling back {t.label} to revision {done.revision} in {where(t.namespace, t.cluster.name)}"),
        Fields((("Images", f"{old_images} → {images}"), ("Change-cause", cause))),
    ]
    if t.kind == "statefulsets" and (stuck := _unstick(t, before)):
        blocks.append(
            Paragraph(
                f"Deleted {', '.join(f'`{p}`' for p in stuck)}: stuck at the failed revision, never ready. "
                "A StatefulSet does not replace such a pod by itself (Kubernetes: forced rollback)."
            )
        )
    notice, follow = rollout_notice(t, f"Rollout started. `history {t.ref}` shows it as the newest revision.")
    return Reply((*blocks, notice), follow=follow)


def _unstick(t: Target, before: WorkloadInfo) -> list[str]:
    """Pods of the failed revision that never became ready: deleted, so the StatefulSet controller
    recreates them from the restored template (it waits for them forever otherwise)."""
    if not before.revision or before.revision == before.current_revision:
        return []
    stuck = [
        p.name
        for p in t.cluster.list_pods(t.namespace, before.selector)
        if dict(p.labels).get("controller-revision-hash") == before.revision and p.ready < p.total
    ]
    pods = resources.require(t.cluster, resources.PODS)
    for name in stuck:
        t.cluster.delete_object(pods, t.namespace, name, dry_run=True)
        t.cluster.delete_object(pods, t.namespace, name, dry_run=False)
    return stuck


# --- pause, resume, suspend, run ------------------------------------------------------------------


def _pause_or_resume(action: Pause | Resume, ctx: Context) -> Reply:
    t = target(action, ctx)
    if t.kind == "cronjobs":
        return suspension(t, action, ctx, suspend=False)
    pause = isinstance(action, Pause)
    if t.workload.paused == pause:
        state = "already paused" if pause else "not paused"
        return Reply((Notice("info", f"{t.label} is {state}; nothing to do."),), effect="nothing")
    verb = "pause" if pause else "resume"
    cause = change_cause(action, ctx, f"{verb} {t.ref}")
    t.change(patches.paused(pause), cause)
    effect = (
        "Template changes now wait; `resume` rolls them out." if pause else "Changes made while paused roll out now."
    )
    heading = Heading(f"{'Paused' if pause else 'Resumed'} {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields((("Change-cause", cause),)), Notice("ok", effect)))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    Deploy: deploy,
    Scale: scale,
    Restart: restart,
    Rollback: rollback,
    Pause: _pause_or_resume,
    Resume: _pause_or_resume,
}
