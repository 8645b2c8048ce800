"""Who may do what, where: groups, roles, bindings and deny rules over immutable IDs, decided
in one place (`Policy.authorise`). See engine.py for the order of the decision."""

from bot.policy.engine import Approval, Decision, Policy, Request
from bot.policy.load import PolicyProblems, Problem, builtin, load, parse
from bot.policy.subject import Subject

__all__ = [
    "Approval",
    "Decision",
    "Policy",
    "PolicyProblems",
    "Problem",
    "Request",
    "Subject",
    "builtin",
    "load",
    "parse",
]
