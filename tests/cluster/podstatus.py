"""What a kubelet would report for a pod: pure functions over pod dicts.

Failures are simulated by image tag, or for every container of a pod by the annotation
`demo.pilothouse.dev/fail: crash|broken|oom` (the app's integrations.cluster.demo uses it too):
  `:broken` -> waiting ImagePullBackOff (pod Pending, never started)
  `:crash`  -> waiting CrashLoopBackOff, lastState terminated Error (exit 1), restarts rising
  `:oom`    -> waiting CrashLoopBackOff, lastState terminated OOMKilled (exit 137)
Pods with restartPolicy Never/OnFailure and no fault run to completion (Succeeded), so Jobs finish;
with restartPolicy Never, `:crash`/`:oom` end the pod Failed (terminated, not restarted), so Jobs fail.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
FAULTS = ("broken", "crash", "oom")
CRASHING = ("crash", "oom")
FAILURE_ANNOTATION = "demo.pilothouse.dev/fail"  # same as integrations.cluster.demo


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_fault(image: str) -> str | None:
    """`:broken`, `:crash` or `:oom` from an image reference's tag, else None."""
    tag = image.rsplit("/", 1)[-1].split("@", 1)[0].partition(":")[2]
    return tag if tag in FAULTS else None


def container_fault(pod: JSON, container: JSON) -> str | None:
    wanted = (pod["metadata"].get("annotations") or {}).get(FAILURE_ANNOTATION)
    return wanted if wanted in FAULTS else image_fault(container.get("image", ""))


def pod_faults(pod: JSON) -> set[str]:
    return {f for c in pod["spec"]["containers"] if (f := container_fault(pod, c))}


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def pod_ip(pod: JSON) -> str:
    """A stable fake pod IP in 10.244.0.0/16, derived from the pod's uid."""
    n = int(_digest(pod["metadata"]["uid"])[:8], 16)
    return f"10.244.{n % 250 + 1}.{(n >> 8) % 250 + 2}"


def _terminated(reason: str, exit_code: int, started: str, cid: str) -> JSON:
    return {
        "terminated": {
            "exitCode": exit_code,
            "reason": reason,
            "startedAt": started,
            "finishedAt": now_rfc3339(),
            "containerID": cid,
        }
    }


def container_status(pod: JSON, container: JSON, restarts: int, started: str) -> JSON:
    """One containerStatuses entry, honouring the image's simulated fault."""
    name, image = container["name"], container.get("image", "")
    uid = pod["metadata"]["uid"]
    cid = f"containerd://{_digest(uid, name)}"
    status: JSON = {
        "name": name,
        "image": image,
        "imageID": "",
        "containerID": cid,
        "ready": False,
        "started": False,
        "restartCount": 0,
        "lastState": {},
    }
    fault = container_fault(pod, container)
    if fault == "broken":
        del status["containerID"]
        status["state"] = {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}
        return status
    status["imageID"] = f"{image.split(':')[0]}@sha256:{_digest(image)}"
    if fault in CRASHING and pod["spec"].get("restartPolicy") == "Never":
        reason, code = ("OOMKilled", 137) if fault == "oom" else ("Error", 1)
        status["state"] = _terminated(reason, code, started, cid)  # not restarted: the pod fails
    elif fault in CRASHING:
        reason, code = ("OOMKilled", 137) if fault == "oom" else ("Error", 1)
        pod_ref = f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({uid})"
        status.update(restartCount=restarts, lastState=_terminated(reason, code, started, cid))
        status["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 10s restarting failed container={name} pod={pod_ref}",
            }
        }
    elif pod["spec"].get("restartPolicy", "Always") != "Always":
        status["state"] = _terminated("Completed", 0, started, cid)
    else:
        status.update(ready=True, started=True, state={"running": {"startedAt": started}})
    return status


def _condition(kind: str, ok: bool, old: JSON, reason: str = "", message: str = "") -> JSON:
    status = "True" if ok else "False"
    prev: JSON = next((c for c in old.get("conditions", []) if c.get("type") == kind), {})
    # Keep the transition time while the status stays, as the kubelet does.
    kept = prev.get("lastTransitionTime") if prev.get("status") == status else None
    cond: JSON = {"type": kind, "status": status, "lastTransitionTime": kept or now_rfc3339()}
    if reason:
        cond.update(reason=reason, message=message)
    return cond


def _phase(pod: JSON, statuses: list[JSON]) -> str:
    if any("waiting" in s["state"] and s["state"]["waiting"]["reason"] == "ImagePullBackOff" for s in statuses):
        return "Pending"
    if statuses and all("terminated" in s["state"] for s in statuses):
        failed = any(s["state"]["terminated"].get("exitCode") for s in statuses)
        return "Failed" if failed else "Succeeded"
    return "Running"


def running_status(pod: JSON, host_ip: str, restarts: dict[str, int]) -> JSON:
    """The full status of a bound pod; `restarts` holds crash-looping containers' counts."""
    old = pod.get("status") or {}
    started = old.get("startTime") or now_rfc3339()
    statuses = [container_status(pod, c, restarts.get(c["name"], 1), started) for c in pod["spec"]["containers"]]
    phase = _phase(pod, statuses)
    unready = [s["name"] for s in statuses if not s["ready"]]
    if phase in ("Succeeded", "Failed"):
        why: tuple[str, ...] = ("PodCompleted",)
    elif unready:
        why = ("ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    else:
        why = ()
    ip = pod_ip(pod)
    return {
        "phase": phase,
        "hostIP": host_ip,
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "qosClass": old.get("qosClass", "BestEffort"),
        "conditions": [
            _condition("Initialized", True, old),
            _condition("Ready", not why, old, *why),
            _condition("ContainersReady", not why, old, *why),
            _condition("PodScheduled", True, old),
        ],
        "initContainerStatuses": [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": True,
                "restartCount": 0,
                "state": _terminated("Completed", 0, started, ""),
            }
            for c in pod["spec"].get("initContainers", [])
        ],
        "containerStatuses": statuses,
    }


def unschedulable_status(pod: JSON, message: str) -> JSON:
    old = pod.get("status") or {}
    return {"phase": "Pending", "conditions": [_condition("PodScheduled", False, old, "Unschedulable", message)]}


def _state_reason(state: JSON | None) -> tuple[str, str]:
    """("waiting", "CrashLoopBackOff"), ("running", ""), ("", "") for no state."""
    for kind, detail in (state or {}).items():
        return kind, str((detail or {}).get("reason", ""))
    return "", ""


def signature(status: JSON) -> tuple[Any, ...]:
    """The parts of a status that matter; equal signatures mean no patch is needed."""
    conds = tuple(
        sorted(
            (c.get("type"), c.get("status"), c.get("reason"), c.get("message")) for c in status.get("conditions") or []
        )
    )
    containers = tuple(
        sorted(
            (
                s.get("name"),
                s.get("ready"),
                s.get("restartCount"),
                _state_reason(s.get("state")),
                _state_reason(s.get("lastState")),
            )
            for s in status.get("containerStatuses") or []
        )
    )
    return status.get("phase"), status.get("podIP"), conds, containers


def restart_counts(pod: JSON) -> dict[str, int]:
    return {s["name"]: s.get("restartCount", 0) for s in (pod.get("status") or {}).get("containerStatuses") or []}
