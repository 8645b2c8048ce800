"""Approval requests: list them, vote on them, cancel your own, look at one.

A change the policy says needs approval waits as a request with an ID like `A-7K2Q`; these
commands act on it from any chat (the shell too). Whether a person may vote is decided by the
policy at the moment of the vote, not here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from commands.limits import REASON_CHARS, shown
from commands.registry import Action, CommandSpec, Param

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U


def approval_id(value: str) -> str:
    """`A-7K2Q`, as typed in any case, with or without the `A-`."""
    text = value.strip().upper().removeprefix("A-")
    if len(text) != 4 or any(ch not in ALPHABET for ch in text):
        raise ValueError(f"`{shown(value)}` is not an approval request ID: they look like `A-7K2Q` (see `approvals`)")
    return "A-" + text


ApprovalId = Annotated[str, AfterValidator(approval_id)]
Via = Literal["command", "button", "reaction"]


class ListApprovals(Action):
    all: bool = False  # the settled ones too


class Vote(Action):
    id: ApprovalId
    reason: str | None = Field(default=None, min_length=1, max_length=REASON_CHARS)
    via: Via = "command"  # set by buttons and reactions: how the vote was cast, for the record


class ApproveRequest(Vote):
    pass


class DenyRequest(Vote):
    pass


class WithdrawVote(Action):
    id: ApprovalId
    via: Via = "command"


class CancelRequest(Action):
    id: ApprovalId | None = None  # None: the change waiting for your `yes` here


class ShowRequest(Action):
    id: ApprovalId


APPROVAL_ACTIONS = (ListApprovals, ApproveRequest, DenyRequest, WithdrawVote, CancelRequest, ShowRequest)

_ID = Param("id", "ID", "the request, e.g. `A-7K2Q`", required=True)
_VIA = Param("via", "HOW", "how the vote was cast (set by buttons and reactions)", ("--via",), hidden=True)

SPECS = (
    CommandSpec(
        words=("approvals",),
        model=ListApprovals,
        family="approvals",
        access="meta",
        summary="Approval requests waiting: those you may vote on, and your own",
        params=(Param("all", "", "the settled ones too (last week)", ("--all",), switch=True),),
        examples=("approvals", "approvals --all"),
    ),
    CommandSpec(
        words=("approve",),
        model=ApproveRequest,
        family="approvals",
        access="meta",
        summary="Approve a request (the policy decides whether you may); the last approval runs it",
        params=(_ID, Param("reason", "TEXT", "why, for the record", ("--reason",)), _VIA),
        examples=("approve A-7K2Q", "approve A-7K2Q --reason 'checked the diff'"),
    ),
    CommandSpec(
        words=("deny",),
        model=DenyRequest,
        family="approvals",
        access="meta",
        summary="Vote against a request; enough denials refuse it",
        params=(_ID, Param("reason", "REASON", "why", rest=True), _VIA),
        examples=("deny A-7K2Q", "deny A-7K2Q not during the sale"),
    ),
    CommandSpec(
        words=("withdraw",),
        model=WithdrawVote,
        family="approvals",
        access="meta",
        summary="Take back your vote on a request that is still waiting",
        params=(_ID, _VIA),
        examples=("withdraw A-7K2Q",),
    ),
    CommandSpec(
        words=("cancel",),
        model=CancelRequest,
        family="approvals",
        access="meta",
        summary="Cancel your own request (without ID: the change waiting for your `yes` here)",
        params=(Param("id", "ID", "the request, e.g. `A-7K2Q`"),),
        examples=("cancel A-7K2Q",),
    ),
    CommandSpec(
        words=("show",),
        model=ShowRequest,
        family="approvals",
        access="meta",
        summary="An approval request: what it changes, the preview, the votes, its state",
        params=(_ID,),
        examples=("show A-7K2Q",),
    ),
)
