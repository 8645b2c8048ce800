"""The `pilothouse` command as a new user meets it: zero setup, piped or on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

PILOTHOUSE = str(Path(sys.executable).parent / "pilothouse")


def zero_setup_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_") and k != "KUBECONFIG"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    env.update(extra)
    return env


def run(stdin: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PILOTHOUSE, *args], input=stdin, capture_output=True, text=True, timeout=60, env=zero_setup_env(**env)
    )


def test_piped_session_from_the_readme() -> None:
    result = run("help\nget pods -n shop\nstatus -n shop\nlogs deploy/web --tail 5\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Pilothouse commands" in out
    assert "checkout-" in out and "CrashLoopBackOff" in out
    assert "Health of namespace `shop` on `demo`" in out
    assert "Pending: 0/2 nodes are available" in out
    assert out.count('"GET /products/') == 5
    assert result.stderr == ""


def test_bad_lines_get_one_line_errors_and_the_shell_goes_on() -> None:
    result = run('get pods -n "shop\ngte pods\nget nodes\n')
    assert result.returncode == 0
    assert '✖ Unbalanced quotes: a `"` is opened but never closed.' in result.stdout
    assert "✖ Unknown command `gte pods`." in result.stdout
    assert "node-2  NotReady" in result.stdout


def test_comments_blank_lines_and_exit() -> None:
    result = run("# a comment\n\nwhoami\nexit\nget pods\n", "--user", "carol", "--channel", "C-OPS")
    assert result.returncode == 0
    assert "You:     carol" in result.stdout
    assert "Channel: C-OPS" in result.stdout
    assert "Pods in" not in result.stdout  # nothing after `exit`


def test_bad_settings_fail_at_start_with_a_clear_message() -> None:
    result = run("help\n", PILOTHOUSE_REQUEST_TIMEOUT="soon")
    assert result.returncode == 2
    assert "invalid settings: PILOTHOUSE_REQUEST_TIMEOUT" in result.stderr
    result = run("help\n", PILOTHOUSE_KUBECONFIG="/nonexistent/kubeconfig")
    assert result.returncode == 2
    assert "The kubeconfig /nonexistent/kubeconfig cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_redis_fails_at_start_without_leaking_the_password() -> None:
    from tests.redis_server import free_port

    result = run("help\n", PILOTHOUSE_REDIS_URL=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert result.returncode == 2
    assert "The state store at redis://:***@127.0.0.1" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_redis_url_puts_the_audit_trail_in_redis(redis_url: str) -> None:
    import redis

    result = run("get pods -n shop\n", PILOTHOUSE_REDIS_URL=redis_url)
    assert result.returncode == 0, result.stderr
    newest = redis.Redis.from_url(redis_url, decode_responses=True).xrevrange("pilothouse:audit", count=1)
    assert newest and '"command":"get pods"' in newest[0][1]["v"]  # a Redis Stream entry


@pytest.mark.timeout(60)
def test_interactive_terminal_session(tmp_path: Path) -> None:
    env = zero_setup_env(HOME=str(tmp_path))
    shell = pexpect.spawn(PILOTHOUSE, ["--user", "dana"], env=env, encoding="utf-8", timeout=20)
    shell.expect("you are dana in shell")
    shell.expect_exact("pilothouse> ")
    shell.sendline("get deploy -n payments")
    shell.expect("worker")
    shell.expect_exact("pilothouse> ")
    shell.sendeof()
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0
    # The line is remembered for the next session (readline history).
    assert "get deploy -n payments" in (tmp_path / ".pilothouse_history").read_text()


def test_bad_channel_clusters_setting_is_refused_at_start() -> None:
    result = run("help\n", PILOTHOUSE_CHANNEL_CLUSTERS="C0123")
    assert result.returncode == 2
    assert "`C0123` is not CHANNEL=CLUSTER" in result.stderr
    result = run("help\n", PILOTHOUSE_CHANNEL_CLUSTERS="C0123=prod")
    assert result.returncode == 2 and "No cluster named `prod` is configured." in result.stderr


def test_piped_deploy_session_from_the_readme() -> None:
    session = 'deploy web nginx:1.26 --reason "CVE fix"\nscale 5\ndeploy web nginx:broken\nrollback\ndeploy cart\n'
    result = run(session + "ghcr.io/acme/cart:2.1.0\nhistory\n", "--user", "alice")
    assert result.returncode == 0, result.stderr
    answers = result.stdout.split("\n> ")
    assert "✔ Rolled out in 0 s: 3/3 available." in answers[0]
    assert "Scaled `web`" in answers[1] and "3 → 5" in answers[1]  # the shell's topic: web
    assert "✖ Rollout failed" in answers[2] and "ImagePullBackOff" in answers[2]
    assert "→ Roll back web: `rollback web -n shop --cluster demo`" in answers[2]
    assert "nginx:broken → nginx:1.26" in answers[3] and "Rolled out" in answers[3]
    assert "`deploy` needs IMAGE." in answers[4]
    assert "Deploying `ghcr.io/acme/cart:2.1.0` to `cart`" in answers[5]
    assert "2 (current)  ghcr.io/acme/cart:2.1.0" in answers[6]
    assert result.stderr == ""


def test_approval_session_from_the_readme(tmp_path: Path) -> None:
    """The README's Approvals transcript: a request, a refused self-approval and non-approver,
    two approvals, the run and its result; `/as` changes who speaks, so one shell suffices."""
    env = zero_setup_env(
        HOME=str(tmp_path), PILOTHOUSE_POLICY_FILE="examples/policy.yaml", PILOTHOUSE_DEMO_CLUSTERS="staging-eu,prod-eu"
    )
    shell = pexpect.spawn(
        PILOTHOUSE, ["--user", "U0CAROL03", "--channel", "C0DEPLOYPROD"], env=env, encoding="utf-8", timeout=30
    )
    shell.expect_exact("pilothouse> ")
    shell.sendline('scale web 0 -n shop --cluster prod-eu --reason "drain before the database move"')
    shell.expect(r"Approval request (A-[0-9A-Z]{4}): `scale web 0 --namespace shop --cluster prod-eu")
    rid = shell.match.group(1)
    shell.expect_exact("Needs:        2 approvals from approvers, deployers (not the requester)")
    shell.expect_exact("pilothouse> ")
    shell.sendline(f"approve {rid}")
    shell.expect_exact("you asked for this change, and rule `destructive-in-prod` needs someone else to approve it")
    shell.expect_exact("pilothouse> ")
    shell.sendline(f"/as U0ALICE01 approve {rid}")
    shell.expect_exact("only approvers, deployers may vote on it (rule `destructive-in-prod`)")
    shell.expect_exact("pilothouse> ")
    shell.sendline(f"/as U0DAN0004 approve {rid}")
    shell.expect_exact(f"Counted your approval of {rid}: 1 of 2 approvals, 1 more needed.")
    shell.expect_exact("pilothouse> ")
    shell.sendline(f'/as U0ERIN005 approve {rid} --reason "maintenance window agreed"')
    shell.expect_exact(f"{rid} is approved (2 of 2 approvals) and was run as U0CAROL03:")
    shell.expect_exact("Replicas:     3 → 0")
    shell.expect_exact("Rolled out in")
    shell.expect_exact("pilothouse> ")
    shell.sendline(f"show {rid}")
    shell.expect_exact("approved by U0DAN0004 (command")
    shell.expect_exact("approved by U0ERIN005 (command")
    shell.expect_exact("State:        done")
    shell.sendeof()
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0


def test_locks_and_freezes_can_be_tried_with_zero_setup() -> None:
    """Two people in one shell (`/as NAME`): one locks, the other is refused; the demo's
    always-on freeze of `payments`, and its break-glass."""
    session = (
        "lock web --reason 'load test'\n/as bob\ndeploy web nginx:1.27\nlock web --steal\nlocks\n"
        "freezes\nscale api 3 -n payments\nrestart api -n payments --break-glass --reason hotfix\n"
        "/as alice\nunlock web\n/as bob\ndeploy web nginx:1.27\n"
    )
    result = run(session, "--user", "alice")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Locked `web` in namespace `shop` on `demo`" in out and "You are now bob." in out
    assert "`web` is locked by alice 0s ago, for 1h59m more: load test." in out or "for 2h more" in out
    assert "✖ You may not run `lock --steal` in namespace `shop` on `demo`" in out
    assert "demo-payments  ON NOW" in out
    assert "the freeze `demo-payments` is on until Fri 2100-01-01 00:00 UTC" in out
    assert "Needs:        1 approval from admins (not the requester)" in out  # bob's break-glass waits
    assert "Unlocked `web`" in out and "Deploying `nginx:1.27` to `web`" in out
