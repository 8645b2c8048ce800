"""Changing workloads: deploy, scale, restart, rollback, pause/resume, suspend, run, cordon,
delete pod — for Deployments, StatefulSets, DaemonSets and CronJobs alike.

Every change goes through the one write path (integrations.cluster.workloads): first a
server-side dry run (the API server validates it and shows the result, storing nothing), then
made with field manager `pilothouse`, the change-cause recorded (who, from where, what, why),
and guarded by the resourceVersion it was based on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.handlers.context import Context
from bot.handlers.describe import autoscaler_of, fetch
from bot.handlers.format import plural, where
from bot.handlers.lookup import get_node, get_pod
from commands.deploy import (
    Change,
    Cordon,
    DeletePod,
    Deploy,
    Pause,
    Restart,
    Resume,
    Rollback,
    Run,
    Scale,
    Suspend,
    Uncordon,
)
from commands.errors import Invalid
from commands.registry import Action
from commands.replies import Actions, Awaiting, Button, Fields, Follow, Heading, Notice, Paragraph, Reply
from integrations.cluster import patches, resources, workloads
from integrations.cluster.discovery import ResourceType
from integrations.cluster.model import Json, WorkloadInfo, autoscaler_from, job_from, node_from, workload_from
from integrations.cluster.patches import Patch
from integrations.cluster.port import Cluster
from integrations.cluster.rollout import Rollback as RollbackPlan

LABELS = {"deployments": "", "statefulsets": "StatefulSet ", "daemonsets": "DaemonSet ", "cronjobs": "CronJob "}


def change_cause(action: Change, ctx: Context, what: str) -> str:
    who = ctx.message.user_name or ctx.user
    place = ctx.message.channel_name or ctx.channel
    cause = f"{what} by {who} from {place} via Pilothouse"
    return f"{cause}: {action.reason}" if action.reason else cause


def _ask(action: Action, command: str, summary: str, question: str, preview: Fields) -> Reply:
    """The preview, a question, and the change kept waiting for `yes` (2 minutes)."""
    arguments = action.model_dump(exclude={"confirmed"}, exclude_none=True)
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


@dataclass(frozen=True, slots=True)
class Target:
    cluster: Cluster
    namespace: str
    kind: str  # "deployments", "statefulsets", "daemonsets", "cronjobs"
    name: str
    resource: ResourceType
    obj: Json

    @property
    def label(self) -> str:
        """How the reply names it: `web`, StatefulSet `db`."""
        return f"{LABELS[self.kind]}`{self.name}`"

    @property
    def ref(self) -> str:
        """How a command names it: `web`, `sts/db`."""
        return {"statefulsets": "sts/", "daemonsets": "ds/", "cronjobs": "cronjob/"}.get(self.kind, "") + self.name

    @property
    def workload(self) -> WorkloadInfo:
        return workload_from(self.kind, self.obj)

    def change(self, patch: Patch | workloads.Build, cause: str | None) -> Json:
        """Dry run first, then for real."""
        return workloads.both(
            lambda dry: workloads.change(
                self.cluster, self.resource, self.namespace, self.name, patch, cause=cause, dry_run=dry
            )
        )

    def follow(self) -> Follow | None:
        if self.kind == "cronjobs":
            return None
        return Follow(self.cluster.name, self.namespace, self.name, self.kind)


def _target(action: Change, ctx: Context, *, unless_paused: str | None = None) -> Target:
    """The workload an action changes, as it is now.

    `unless_paused` names the verb to refuse on a paused Deployment, as kubectl refuses it: a
    paused Deployment would not roll, and the change would wait unseen.
    """
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    kind, name = action.target
    obj = fetch(cluster, resources.WORKLOADS[kind], namespace, name)
    target = Target(cluster, namespace, kind, name, resources.require(cluster, resources.WORKLOADS[kind]), obj)
    if unless_paused and kind == "deployments" and target.workload.paused:
        raise Invalid(f"`{name}` is paused: resume it first, then {unless_paused}.", cluster=cluster.name)
    return target


def _on_delete(t: Target) -> Notice | None:
    """StatefulSets and DaemonSets with the OnDelete strategy change no pod by themselves: say so."""
    if t.kind in ("statefulsets", "daemonsets") and t.workload.strategy == "OnDelete":
        return Notice(
            "warning",
            f"{t.label} uses the OnDelete strategy: pods change only when deleted. "
            f"`delete pod POD` replaces one with the new template.",
        )
    return None


def _rollout_notice(t: Target, text: str) -> tuple[Notice, Follow | None]:
    """The closing note of a change that rolls pods, and what to follow (nothing for OnDelete)."""
    honest = _on_delete(t)
    if honest is not None:
        return honest, None
    return Notice("ok", text), t.follow()


# --- scale --------------------------------------------------------------------------------------


def scale(action: Scale, ctx: Context) -> Reply:
    if action.replicas is None:
        return _scale_autoscaler(action, ctx)
    t = _target(action, ctx)
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
    planned = workload_from(
        t.kind, workloads.change(t.cluster, t.resource, t.namespace, t.name, body, cause=cause, dry_run=True)
    )
    preview = Fields(
        (("Replicas", f"{before.desired} → {planned.desired}"), ("Where", where(t.namespace, t.cluster.name)))
    )
    if action.destructive and not action.confirmed:
        question = f"Scale {t.label} to 0? Every pod of it will stop."
        return _ask(action, "scale", f"scale {t.label} to 0", question, preview)
    after = workload_from(
        t.kind, workloads.change(t.cluster, t.resource, t.namespace, t.name, body, cause=cause, dry_run=False)
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
    t = _target(action, ctx)
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
    notice, follow = _rollout_notice(
        t,
        f"Rollout started ({plural(pods, 'pod')}). `status -n {t.namespace}` follows it; `rollback {t.ref}` undoes it.",
    )
    heading = Heading(f"Deploying `{action.image}` to {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields(tuple(fields)), notice), follow=follow)


def restart(action: Restart, ctx: Context) -> Reply:
    t = _target(action, ctx, unless_paused="restart")
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
    notice, follow = _rollout_notice(t, f"Rollout started. `status -n {t.namespace}` or `history {t.ref}` follow it.")
    heading = Heading(f"Restarting {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields(tuple(fields)), notice), follow=follow)


def rollback(action: Rollback, ctx: Context) -> Reply:
    t = _target(action, ctx, unless_paused="roll back")
    target = f"revision {action.to_revision}" if action.to_revision else "the previous revision"
    cause = change_cause(action, ctx, f"roll back {t.ref} to {target}")

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
    notice, follow = _rollout_notice(t, f"Rollout started. `history {t.ref}` shows it as the newest revision.")
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
    t = _target(action, ctx)
    if t.kind == "cronjobs":
        return _suspension(t, action, ctx, suspend=False)
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


def suspend(action: Suspend, ctx: Context) -> Reply:
    return _suspension(_target(action, ctx), action, ctx, suspend=True)


def _suspension(t: Target, action: Change, ctx: Context, *, suspend: bool) -> Reply:
    if bool(t.obj["spec"].get("suspend")) == suspend:
        state = "already suspended" if suspend else "not suspended"
        return Reply((Notice("info", f"{t.label} is {state}; nothing to do."),), effect="nothing")
    verb = "suspend" if suspend else "resume"
    cause = change_cause(action, ctx, f"{verb} {t.ref}")
    t.change(patches.suspended(suspend), cause)
    effect = (
        "No new Jobs start on its schedule; Jobs already running go on. `resume` lets them start again."
        if suspend
        else f"Jobs start again on its schedule (`{t.obj['spec'].get('schedule', '')}`)."
    )
    heading = Heading(f"{'Suspended' if suspend else 'Resumed'} {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields((("Change-cause", cause),)), Notice("ok", effect)))


def run(action: Run, ctx: Context) -> Reply:
    """A Job from the CronJob's template now, followed to completion or failure."""
    t = _target(action, ctx)
    at = ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    cause = change_cause(action, ctx, f"run {t.ref}")
    job = workloads.job_from_cronjob(t.obj, at=at, cause=cause)
    jobs = resources.require(t.cluster, resources.JOBS)
    t.cluster.create_object(jobs, t.namespace, job, dry_run=True)
    made = job_from(t.cluster.create_object(jobs, t.namespace, job, dry_run=False))
    note = " (the CronJob is suspended: only this run starts)" if t.obj["spec"].get("suspend") else ""
    return Reply(
        (
            Heading(f"Running {t.label} now in {where(t.namespace, t.cluster.name)}"),
            Fields((("Job", made.name), ("Images", ", ".join(i for _, i in made.images)), ("Change-cause", cause))),
            Notice("ok", f"Job `{made.name}` started{note}. `describe job {made.name}` shows it."),
        ),
        follow=Follow(t.cluster.name, t.namespace, made.name, "jobs"),
    )


# --- nodes and pods -------------------------------------------------------------------------------


def _cordon_or_uncordon(action: Cordon | Uncordon, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    cordon = isinstance(action, Cordon)
    before = get_node(cluster, action.node)
    if before.unschedulable == cordon:
        state = "already cordoned" if cordon else "not cordoned"
        return Reply((Notice("info", f"Node `{action.node}` is {state}; nothing to do."),), effect="nothing")
    nodes = resources.require(cluster, resources.NODES)
    body = Patch({"spec": {"unschedulable": cordon}})

    def change(dry: bool) -> Json:
        return workloads.change(cluster, nodes, None, action.node, body, cause=None, dry_run=dry)

    change(True)
    preview = Fields((("Node", f"{action.node} ({before.status})"), ("Cluster", cluster.name)))
    if cordon and not action.confirmed:
        question = f"Cordon node `{action.node}`? No new pods will be scheduled on it."
        return _ask(action, "cordon", f"cordon node `{action.node}`", question, preview)
    after = node_from(change(False))
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
    pods = resources.require(cluster, resources.PODS)
    cluster.delete_object(pods, namespace, action.pod, dry_run=True)
    owner_kind = (pod.owner or "").split("/", 1)[0]
    fate = (
        f"its {owner_kind} starts a replacement"
        if owner_kind in ("ReplicaSet", "StatefulSet", "DaemonSet")
        else "it has no controller: it will not come back"
        if not pod.owner
        else f"its owner, {pod.owner}, decides what comes next"
    )
    if not action.confirmed:
        preview = Fields((("Pod", f"{pod.name} ({pod.status}, {pod.restarts} restarts)"), ("Then", fate)))
        question = f"Delete pod `{action.pod}`?"
        return _ask(action, "delete pod", f"delete pod `{action.pod}`", question, preview)
    cluster.delete_object(pods, namespace, action.pod, dry_run=False)
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
    Suspend: suspend,
    Run: run,
    Cordon: _cordon_or_uncordon,
    Uncordon: _cordon_or_uncordon,
}
