"""Change freezes: on and off by an injected clock (across both DST changes of 2026 in
Europe/Berlin), date ranges, deny versus approval, break-glass, what `freezes` shows, what
check-config refuses; and the tricks that must not get a change through a freeze.

The team: Carol deploys (shop and payments, on prod-eu and staging-eu), Erin approves and may
break glass. Most scenarios go through the pipeline with the clock set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.message import Message
from bot.policy import Policy, PolicyProblems, Request, Subject
from bot.policy.load import load
from bot.policy.reload import PolicyHolder
from commands.replies import Table
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render
from tests.chat import Chat, chat
from tests.policies import REGISTRY, from_yaml

CAROL, ERIN = "U0CAROL03", "U0ERIN005"
TEAM = """
groups: {deployers: [U0CAROL03], approvers: [U0ERIN005]}
roles:
  deployer: {commands: [read, write], clusters: ["*"], namespaces: [shop, payments]}
bindings:
  - {name: deployers, subjects: [deployers], roles: [deployer], direct_messages: all}
"""
WEEKEND = """
freezes:
  - name: weekend
    reason: no changes over the weekend
    clusters: ["prod-*"]
    windows: [{cron: "0 16 * * 5", duration: 64h, timezone: Europe/Berlin}]
    break_glass: {approvers: [approvers], count: 1}
"""
POLICY = from_yaml(TEAM + WEEKEND)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def deploy(policy: Policy, at: datetime, **more: object) -> object:
    request = Request("deploy", "write", "C0OPS0001", "prod-eu", "shop", app="web", at=at, **more)  # type: ignore[arg-type]
    return policy.authorise(Subject(CAROL, groups=frozenset({"deployers"})), request)


# --- when a freeze is on ----------------------------------------------------------------------

WINDOWS = [
    # (the Friday start in UTC, the Monday end in UTC): 16:00 and 08:00 Berlin time every week
    (utc(2026, 3, 20, 15), utc(2026, 3, 23, 7)),  # winter (CET, UTC+1)
    (utc(2026, 3, 27, 15), utc(2026, 3, 30, 6)),  # clocks go forward on Sunday 29 March: ends 06:00 UTC
    (utc(2026, 4, 3, 14), utc(2026, 4, 6, 6)),  # summer (CEST, UTC+2)
    (utc(2026, 10, 23, 14), utc(2026, 10, 26, 7)),  # clocks go back on Sunday 25 October: ends 07:00 UTC
    (utc(2026, 10, 30, 15), utc(2026, 11, 2, 7)),  # winter again
]


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_a_weekly_window_keeps_its_wall_clock_times_across_dst(start: datetime, end: datetime) -> None:
    second = timedelta(seconds=1)
    assert deploy(POLICY, start - second).outcome == "allow"  # type: ignore[attr-defined]
    assert deploy(POLICY, start).outcome == "deny"  # type: ignore[attr-defined]
    assert deploy(POLICY, end - second).outcome == "deny"  # type: ignore[attr-defined]
    assert deploy(POLICY, end).outcome == "allow"  # type: ignore[attr-defined]


def test_the_refusal_says_which_freeze_why_until_when_and_how_to_break_glass() -> None:
    decision = deploy(POLICY, utc(2026, 3, 28, 12))
    assert decision.rule == "weekend" and decision.by == "freeze"  # type: ignore[attr-defined]
    assert decision.reason == (  # type: ignore[attr-defined]
        "the freeze `weekend` is on until Mon 2026-03-30 08:00 CEST (06:00 UTC): no changes over the weekend"
    )
    assert "`--break-glass --reason TEXT`" in decision.hint and "weekend/break-glass" in decision.hint  # type: ignore[attr-defined]


def test_date_ranges_whole_days_in_their_zone_or_instants_with_an_offset() -> None:
    policy = from_yaml(
        TEAM
        + """
        freezes:
          - name: year-end
            reason: year-end close
            windows:
              - {start: 2026-12-18, end: 2027-01-03, timezone: Europe/Berlin}
              - {start: "2027-02-01T09:00:00+01:00", end: "2027-02-01T10:30:00Z"}
        """.replace("\n        ", "\n")
    )
    assert deploy(policy, utc(2026, 12, 17, 22, 59)).outcome == "allow"  # type: ignore[attr-defined]
    assert deploy(policy, utc(2026, 12, 17, 23, 0)).outcome == "deny"  # 18 Dec 00:00 in Berlin  # type: ignore[attr-defined]
    assert deploy(policy, utc(2027, 1, 3, 22, 59)).outcome == "deny"  # 3 Jan is included  # type: ignore[attr-defined]
    assert deploy(policy, utc(2027, 1, 3, 23, 0)).outcome == "allow"  # type: ignore[attr-defined]
    assert deploy(policy, utc(2027, 2, 1, 7, 59)).outcome == "allow"  # type: ignore[attr-defined]
    assert deploy(policy, utc(2027, 2, 1, 8, 0)).outcome == "deny"  # type: ignore[attr-defined]
    assert deploy(policy, utc(2027, 2, 1, 10, 30)).outcome == "allow"  # type: ignore[attr-defined]


def test_scope_clusters_namespaces_apps_and_commands() -> None:
    policy = from_yaml(
        TEAM
        + """
        freezes:
          - name: checkout
            reason: checkout migration
            namespaces: [shop]
            apps: ["check*"]
            commands: [deploy, rollback]
            windows: [{start: 2026-01-01, end: 2026-12-31}]
        """.replace("\n        ", "\n")
    )
    carol = Subject(CAROL, groups=frozenset({"deployers"}))
    at = utc(2026, 6, 1)

    def decide(command: str, namespace: str, app: str | None) -> str:
        request = Request(command, "write", "C0OPS0001", "prod-eu", namespace, app=app, at=at)
        return policy.authorise(carol, request).outcome

    assert decide("deploy", "shop", "checkout") == "deny"
    assert decide("rollback", "shop", "checkout") == "deny"
    assert decide("deploy", "shop", "web") == "allow"  # another app
    assert decide("deploy", "payments", "checkout") == "allow"  # another namespace
    assert decide("scale", "shop", "checkout") == "allow"  # a command it does not name
    assert decide("delete pod", "shop", None) == "allow"  # names no app: only an every-app freeze covers it


# --- deny versus approval ---------------------------------------------------------------------

APPROVALS = """
approvals:
  - {name: prod-changes, clusters: ["prod-*"], approvers: [approvers], count: COUNT}
freezes:
  - name: release-week
    reason: release week
    effect: approval
    approvers: [approvers]
    count: 2
    windows: [{start: 2026-06-01, end: 2026-06-07}]
"""


@pytest.mark.parametrize(("count", "rule"), [(1, "release-week"), (2, "release-week"), (3, "prod-changes")])
def test_the_stricter_approval_wins_and_a_tie_goes_to_the_freeze(count: int, rule: str) -> None:
    policy = from_yaml(TEAM + APPROVALS.replace("COUNT", str(count)))
    decision = deploy(policy, utc(2026, 6, 3))
    assert (decision.outcome, decision.rule) == ("needs_approval", rule)  # type: ignore[attr-defined]
    assert decision.approval.count == max(count, 2)  # type: ignore[attr-defined]
    assert deploy(policy, utc(2026, 6, 10)).rule == "prod-changes"  # type: ignore[attr-defined]  # the freeze is over


def test_deny_wins_over_an_approval_freeze_and_an_approval_rule() -> None:
    policy = from_yaml(TEAM + APPROVALS.replace("COUNT", "1") + WEEKEND.replace("freezes:\n", ""))
    saturday = utc(2026, 6, 6, 12)  # in the weekend window and release week
    assert (deploy(policy, saturday).outcome, deploy(policy, saturday).rule) == ("deny", "weekend")  # type: ignore[attr-defined]


def test_break_glass_waits_for_its_own_approvers_and_is_looked_up_by_name() -> None:
    decision = deploy(POLICY, utc(2026, 3, 28, 12), break_glass=True)
    assert (decision.outcome, decision.rule, decision.by) == ("needs_approval", "weekend/break-glass", "freeze")  # type: ignore[attr-defined]
    assert decision.approval == POLICY.approval_rule("weekend/break-glass")  # type: ignore[attr-defined]
    assert decision.approval.approvers == ("approvers",)  # type: ignore[attr-defined]
    approval_freeze = from_yaml(TEAM + APPROVALS.replace("COUNT", "1"))
    assert approval_freeze.approval_rule("release-week").count == 2  # type: ignore[union-attr]
    assert POLICY.approval_rule("nothing/break-glass") is None


def test_a_deny_freeze_without_break_glass_cannot_be_broken() -> None:
    policy = from_yaml(TEAM + WEEKEND.replace("    break_glass: {approvers: [approvers], count: 1}\n", ""))
    decision = deploy(policy, utc(2026, 3, 28, 12), break_glass=True)
    assert (decision.outcome, decision.rule) == ("deny", "weekend")  # type: ignore[attr-defined]
    assert "has no break-glass in the policy" in decision.hint  # type: ignore[attr-defined]
    assert policy.approval_rule("weekend/break-glass") is None


# --- through the pipeline ---------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2026, 3, 28, 12))  # Saturday: the weekend freeze is on


@pytest.fixture
def carol(clock: Clock) -> Chat:
    c = chat(SimulatedCluster.demo("prod-eu"), SimulatedCluster.demo("staging-eu"), policy=POLICY, clock=clock)
    return Chat(c.pipeline, user=CAROL)


def test_a_deploy_in_the_freeze_is_refused_and_reads_are_never_frozen(carol: Chat, clock: Clock) -> None:
    text = carol.say("deploy web nginx:1.27")
    assert text.startswith(
        "✖ You may not run `deploy` in namespace `shop` on `prod-eu` from here: the freeze `weekend`"
    )
    assert "until Mon 2026-03-30 08:00 CEST (06:00 UTC): no changes over the weekend." in text
    assert "Decided by freeze `weekend`." in text
    for read in ("get pods", "status", "history web", "describe deploy web", "freezes", "locks"):
        assert not carol.say(read).startswith("✖"), read
    assert "Deploying `nginx:1.27`" in carol.say("deploy web nginx:1.27 --cluster staging-eu")  # not in scope
    clock.now = utc(2026, 3, 30, 6)  # Monday 08:00 in Berlin: over
    assert "Deploying `nginx:1.27`" in carol.say("deploy web nginx:1.27 --cluster prod-eu")


def test_break_glass_needs_a_reason_then_its_approval(carol: Chat, clock: Clock) -> None:
    text = carol.say("scale web 5 --break-glass")
    assert text.startswith("✖ Invalid arguments: `--break-glass` needs `--reason TEXT`")
    text = carol.say("scale web 5 --break-glass --reason 'checkout is down'")
    assert "Approval request A-" in text and "Needs:        1 approval from approvers (not the requester)" in text
    assert carol.pipeline.audit.recent(1)[0].args["break_glass"] is True
    rid = text.split("Approval request ", 1)[1][:6]
    assert "rule `weekend/break-glass` needs someone else to approve it" in carol.say(f"approve {rid}")
    ran = Chat(carol.pipeline, user=ERIN, channel=carol.channel).say(f"approve {rid}")
    assert "was run as U0CAROL03" in ran and "Scaled `web`" in ran
    clock.now = utc(2026, 3, 25, 12)  # a Wednesday: nothing to break
    text = carol.say("scale web 6 --break-glass --reason 'checkout is down'")
    assert "Scaled `web`" in text and "No change freeze is on for this: `--break-glass` was not needed." in text


def test_freezes_lists_what_is_on_and_what_comes(carol: Chat, clock: Clock) -> None:
    text = carol.say("freezes")
    assert "Change freezes (now: 2026-03-28 12:00 UTC; the next 7 days)" in text
    rows = [row[:4] for b in carol.last.blocks if isinstance(b, Table) for row in b.rows]
    assert rows == [
        ("weekend", "ON NOW", "Fri 2026-03-27 16:00 CET (15:00 UTC)", "Mon 2026-03-30 08:00 CEST (06:00 UTC)"),
        ("weekend", "upcoming", "Fri 2026-04-03 16:00 CEST (14:00 UTC)", "Mon 2026-04-06 08:00 CEST (06:00 UTC)"),
    ]
    assert "denied; break glass: 1 approval(s) from approvers" in text and "clusters prod-*" in text
    empty = chat(SimulatedCluster.demo(), policy=from_yaml(TEAM)).say("freezes")
    assert "No change freezes are declared in the policy (policy.yaml)." in empty
    assert "give the policy file (PILOTHOUSE_POLICY_FILE) a `freezes:` section" in empty


# --- what must not get a change through ---------------------------------------------------------


def test_a_yes_given_after_the_freeze_began_is_decided_again(carol: Chat, clock: Clock) -> None:
    clock.now = utc(2026, 3, 27, 14, 59)  # a minute before the freeze
    assert "Destructive: scaling to 0 stops every pod." in carol.say("scale web 0")
    clock.now = utc(2026, 3, 27, 15, 0, 30)
    assert "the freeze `weekend` is on" in carol.say("yes")


def test_a_button_a_thread_or_another_spelling_is_the_same_request(carol: Chat) -> None:
    # A button runs its command as the person who clicked it: typed text, the same pipeline.
    for text in (
        "set image web nginx:1.27",
        "rollout restart deployment/web",
        "restart deploy/web -n shop --cluster prod-eu",
        "scale deployment web 2",
        "SCALE web 2",
    ):
        assert "the freeze `weekend` is on" in carol.say(text), text
    assert "is not a valid name" in carol.say("scale web 2 -n Shop")
    assert "No cluster named `PROD-eu`" in carol.say("scale web 2 --cluster PROD-eu")
    assert carol.say("restart web -A").startswith("✖ `restart` has no option `-A`.")
    in_a_thread = carol.pipeline.handle(Message(CAROL, carol.channel, "scale web 2", thread="9.9"))
    assert "the freeze `weekend` is on" in render(in_a_thread)
    assert "Your defaults" in carol.say("use namespace payments")
    assert "`scale` in namespace `payments` on `prod-eu` from here: the freeze `weekend`" in carol.say("scale api 2")


def test_a_reload_that_fails_keeps_the_freeze(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(TEAM + WEEKEND)
    holder = PolicyHolder(lambda: load(path, REGISTRY), path=path, every=3600)
    carol = Chat(chat(SimulatedCluster.demo("prod-eu"), policy=None, clock=clock).pipeline, user=CAROL)
    carol.pipeline.access.policy = holder
    assert "the freeze `weekend` is on" in carol.say("scale web 2")
    path.write_text(TEAM + WEEKEND.replace('"0 16 * * 5"', '"0 16 * * fri-"'))
    assert not holder.reload("test").ok
    assert "the freeze `weekend` is on" in carol.say("scale web 2")


# --- the policy file ----------------------------------------------------------------------------


def problems(freeze: str) -> str:
    with pytest.raises(PolicyProblems) as e:
        from_yaml(TEAM + "freezes:\n" + freeze)
    return str(e.value)


@pytest.mark.parametrize(
    ("freeze", "said"),
    [
        (
            '  - {name: f, reason: r, windows: [{cron: "0 25 * * 5", duration: 2h}]}',
            "policy.yaml:8: freezes[0].windows[0].cron: the hour `25` is out of range: use 0–23",
        ),
        (
            '  - {name: f, reason: r, windows: [{cron: "0 16 * * 5", duration: 2h, timezone: Europe/Berln}]}',
            "freezes[0].windows[0].timezone: Unknown time zone `Europe/Berln`.\n    hint: Did you mean `Europe/Berlin`",
        ),
        (
            "  - {name: f, reason: r, windows: [{start: 2026-12-20, end: 2026-12-01}]}",
            "freezes[0].windows[0].end: ends before it starts",
        ),
        (
            '  - {name: f, reason: r, windows: [{cron: "0 16 * * 5", duration: 0h}]}',
            "freezes[0].windows[0].duration: `0h` is not a duration",
        ),
        (
            '  - {name: f, reason: r, windows: [{cron: "0 16 * * 5", duration: 8d}]}',
            "freezes[0].windows[0].duration: `8d` is too long: at most 7d",
        ),
        (
            '  - {name: f, reason: r, windows: [{cron: "0 16 * * 5"}]}',
            "freezes[0].windows[0].duration: a `cron` window needs a `duration`",
        ),
        (
            '  - {name: f, reason: r, windows: [{cron: "0 16 * * 5", duration: 2h, start: 2026-01-01}]}',
            "a window is `cron` + `duration` or `start` + `end`, and this has both",
        ),
        (
            '  - {name: f, reason: r, windows: [{start: "2026-12-20T10:00:00", end: 2026-12-21}]}',
            "`2026-12-20T10:00:00` has no UTC offset",
        ),
        (
            "  - {name: f, reason: r, commands: [read], windows: [{start: 2026-12-20, end: 2026-12-21}]}",
            "freezes[0].commands[0]: `read` commands are never frozen",
        ),
        (
            '  - {name: f, reason: r, commands: ["get pods"], windows: [{start: 2026-12-20, end: 2026-12-21}]}',
            "`get pods` changes nothing, and reads are never frozen",
        ),
        (
            "  - {name: f, reason: r, effect: approval, windows: [{start: 2026-12-20, end: 2026-12-21}]}",
            "freezes[0].approvers: an `effect: approval` freeze needs `approvers`",
        ),
        (
            "  - {name: f, reason: r, approvers: [approvers], windows: [{start: 2026-12-20, end: 2026-12-21}]}",
            "`approvers` is for `effect: approval`; a deny freeze refuses every change\n    hint: to let approved "
            "changes through a deny freeze, use `break_glass",
        ),
        (
            "  - {name: F, reason: r, windows: [{start: 2026-12-20, end: 2026-12-21}]}",
            "`F` is not a valid freeze name",
        ),
        (
            "  - {name: deployers, reason: r, windows: [{start: 2026-12-20, end: 2026-12-21}]}",
            "the name `deployers` is used twice",
        ),
        ("  - {name: f, windows: [{start: 2026-12-20, end: 2026-12-21}]}", "freezes[0].reason: Field required"),
    ],
)
def test_check_config_explains_every_bad_freeze(freeze: str, said: str) -> None:
    assert said in problems(freeze)


def test_the_example_policy_has_freezes_and_check_config_lists_them() -> None:
    from bot import cli

    example = Path(__file__).resolve().parent.parent / "examples" / "policy.yaml"
    policy = load(example, REGISTRY)
    assert [f.name for f in policy.freezes] == ["weekend-prod", "year-end-payments"]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["check-config", "--policy", str(example)]) == 0
    assert "2 freeze(s)" in out.getvalue()
    assert "  weekend-prod: denied; break glass: 1 approval(s) from approvers; clusters prod-*" in out.getvalue()
