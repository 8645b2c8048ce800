"""What a person reads when the policy says no: what was refused, by which rule, what would be
needed, and who can grant it. Every refusal, wherever it happens, is worded here."""

from __future__ import annotations

from bot.policy.engine import DEFAULT_DENY, Decision, Policy, Request
from commands.errors import PolicyDenied

NOT_A_CHANGE = (
    "Approvals are for changes: a read cannot wait for one. Ask for a role that lets you read it, "
    "or change the approval rule's `commands` to name changes only."
)


def refusal(decision: Decision, request: Request, policy: Policy | None = None) -> PolicyDenied:
    """`policy`: the policy that decided, to say what would be needed when no binding allowed it."""
    what = f"`{request.command}`{request.where()}"
    if decision.outcome == "needs_approval" and decision.approval is not None:
        approval = decision.approval
        who = ", ".join(approval.approvers)
        message = f"{what} needs approval: {approval.count} of {who} ({decision.decided_by})."
        return PolicyDenied(message, rule=decision.rule, hint=NOT_A_CHANGE)
    message = f"You may not run {what}{_from_here(request)}: {decision.reason}."
    lines = [f"Decided by {decision.decided_by}."]
    if decision.hint:
        lines.append(decision.hint)
    needed, grantors = decision.needed, decision.grantors
    if decision.rule == DEFAULT_DENY and policy is not None:
        needed, grantors = policy.needed(request)
    if needed:
        lines.append("Would allow it: " + "; ".join(needed) + ".")
    if grantors:
        lines.append("Who can grant it: " + ", ".join(grantors) + ".")
    elif decision.by in ("default", "limit"):
        lines.append("Who can grant it: whoever maintains the policy file (PILOTHOUSE_POLICY_FILE).")
    return PolicyDenied(message, rule=decision.rule, hint=" ".join(lines))


def _from_here(request: Request) -> str:
    return " from here" if request.channel else ""
