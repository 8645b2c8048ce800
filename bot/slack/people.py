"""Who a Slack request comes from: the person's ID, display name (a label), and whether they
are one of ours. Only the configured workspace(s) are ours (`PILOTHOUSE_SLACK_TEAM_IDS`,
`PILOTHOUSE_SLACK_ENTERPRISE_IDS`, by default the bot's own from auth.test); anyone else
(a Slack Connect channel's other side, or a payload naming another team) is external, and gets
only what the policy grants external people (nothing by default).

The user groups (S…) a policy names are resolved with usergroups.users.list and cached for
`PILOTHOUSE_GROUP_TTL` seconds: someone removed from a group loses its rights when that expires.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.message import Message
from bot.slack.directory import Directory
from bot.slack.payloads import text

log = logging.getLogger(__name__)

FAILED_TTL = 30.0  # a group that could not be read counts as empty (fail closed), briefly


@dataclass(frozen=True, slots=True)
class Workspaces:
    teams: frozenset[str]
    enterprises: frozenset[str] = frozenset()

    def ours(self, team: str | None, enterprise: str | None) -> bool:
        return (team is not None and team in self.teams) or (enterprise is not None and enterprise in self.enterprises)

    @classmethod
    def of(cls, client: WebClient, teams: frozenset[str], enterprises: frozenset[str]) -> Workspaces:
        """The configured ones, or else the bot's own installation (auth.test)."""
        if teams or enterprises:
            return cls(teams, enterprises)
        own = client.auth_test()
        team, enterprise = own.get("team_id"), own.get("enterprise_id")
        return cls(frozenset([str(team)] if team else []), frozenset([str(enterprise)] if enterprise else []))


def payload_team(body: Mapping[str, Any], event: Mapping[str, Any] | None = None) -> str | None:
    """The person's team as the request states it: events carry `user_team` (or `team`),
    interactions `user.team_id`, slash commands `team_id`."""
    if event is not None:
        return text(event, "user_team") or text(event, "team") or None
    return text(body, "user", "team_id") or text(body, "team_id") or None


class UserGroups:
    """Members of Slack user groups, from usergroups.users.list, cached per group for `ttl` s."""

    def __init__(self, client: WebClient, *, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: dict[str, tuple[frozenset[str], float]] = {}

    def members(self, group: str) -> frozenset[str]:
        with self._lock:
            found = self._cached.get(group)
            if found is not None and found[1] > self._clock():
                return found[0]
        try:
            users = frozenset(str(u) for u in self._client.usergroups_users_list(usergroup=group).get("users") or [])
            ttl = self._ttl
        except SlackApiError as e:
            log.error(
                "cannot read Slack user group %s (%s): its members get nothing from it", group, e.response.get("error")
            )
            users, ttl = frozenset(), min(self._ttl, FAILED_TTL)
        with self._lock:
            self._cached[group] = (users, self._clock() + ttl)
        return users


class People:
    """Turns a Slack request into the pipeline's Message: names for display, ours or external."""

    def __init__(self, directory: Directory, workspaces: Workspaces) -> None:
        self.directory = directory
        self.workspaces = workspaces

    def external(self, user: str, stated_team: str | None) -> tuple[bool, str | None]:
        """(external?, their team). A team the request states that is not ours makes them
        external, whatever else says; otherwise Slack's own record of the person decides."""
        team, enterprise = self.directory.user_team(user)
        if stated_team is not None and not self.workspaces.ours(
            stated_team, enterprise if stated_team == team else None
        ):
            return True, stated_team
        known = team or stated_team  # unknown to Slack and unstated: external (fail closed)
        return not self.workspaces.ours(known, enterprise), known

    def message(self, user: str, channel: str, text: str, *, team: str | None, thread: str | None = None) -> Message:
        external, their_team = self.external(user, team)
        return Message(
            user,
            channel,
            text,
            self.directory.user_name(user),
            self.directory.channel_name(channel),
            thread,
            external=external,
            team=their_team,
        )
