"""With real clusters and Redis, a scheduled digest is made and posted by a worker process: the
front process only leads and schedules, so a digest of a big cluster never slows its acks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot import work_pool
from bot.digest.schedules import ScheduleBook
from bot.settings import Settings
from integrations.store.redis_store import RedisStore
from tests.slack import workspace
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]


def test_a_scheduled_digest_is_made_and_posted_by_a_worker_process(
    demo_control_plane: Any, redis_url: str, fake_slack: FakeSlackWebAPI
) -> None:
    fake_slack.add_channel(workspace.CHANNEL_ID, workspace.CHANNEL_NAME)
    settings = Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        slack_api_url=fake_slack.api_url,
        kubeconfig=str(demo_control_plane.admin_kubeconfig),
        redis_url=redis_url,
    )
    book = ScheduleBook(RedisStore(redis_url))
    schedule = book.add(
        channel=workspace.CHANNEL_ID,
        cron="0 9 * * *",
        tz="UTC",
        cluster="test-admin",
        namespace="shop",
        by="alice",
        now=datetime.now(UTC),
    )
    pool = work_pool.process_pool(settings, 1)
    try:
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        assert pool.submit(work_pool.fire_digest, schedule.id, due, "replica-a").result(120) is True
        # The same fire time again (a second leader after a handover): claimed already, not posted twice.
        assert pool.submit(work_pool.fire_digest, schedule.id, due, "replica-b").result(120) is False
    finally:
        pool.shutdown()
        book.remove(schedule.id)
    summary, details = fake_slack.wait_for("chat.postMessage", count=2)[:2]
    said = summary.args["text"] + json.dumps(summary.args.get("blocks", []))
    assert "Digest of namespace `shop` on `test-admin`" in said
    assert details.args["thread_ts"] and "checkout-" in json.dumps(details.args.get("blocks", []))
    assert len(fake_slack.calls("chat.postMessage")) == 2
