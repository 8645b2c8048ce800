"""The Bolt app: one app for both transports, with a Web API client that honours 429s."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from bot.settings import Settings
from bot.slack.approvals import SlackApprovals
from bot.slack.directory import Directory
from bot.slack.jobs import MetricsSink, SlackWork
from bot.slack.listeners import FrontDoor
from bot.slack.people import UserGroups, Workspaces
from bot.wiring import App as Pilothouse

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"


class _CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After (slack_sdk does the waiting) and counts it."""

    def __init__(self, sink: MetricsSink) -> None:
        super().__init__(max_retry_count=3)
        self._sink = sink

    def prepare_for_next_attempt(self, **kwargs: Any) -> None:
        self._sink.slack_retry("ratelimited")
        super().prepare_for_next_attempt(**kwargs)


def _retry_handlers(sink: MetricsSink) -> list[RetryHandler]:
    return [_CountingRateLimitHandler(sink), ConnectionErrorRetryHandler(max_retry_count=2)]


def web_client(settings: Settings, sink: MetricsSink) -> WebClient:
    assert settings.slack_bot_token is not None
    base_url = settings.slack_api_url or SLACK_API
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        retry_handlers=_retry_handlers(sink),
    )


def connect_people(settings: Settings, pilothouse: Pilothouse, client: WebClient) -> Workspaces:
    """Slack's side of who is asking: our workspaces, and the members of the policy's user groups."""
    pilothouse.access.groups = UserGroups(client, ttl=settings.group_ttl)
    return Workspaces.of(client, settings.slack_team_id_set, settings.slack_enterprise_id_set)


def connect_approvals(settings: Settings, pilothouse: Pilothouse, client: WebClient) -> None:
    """Approval requests are shown in Slack by whichever process changes them."""
    desk = pilothouse.pipeline.approvals
    directory = Directory(client, pilothouse.store)
    desk.notifier = SlackApprovals(client, desk.book, directory, channel=settings.approvals_channel)


def slack_work(settings: Settings, pilothouse: Pilothouse, sink: MetricsSink) -> SlackWork:
    """What runs a job, wherever jobs run (this process, or a worker process)."""
    client = web_client(settings, sink)
    connect_approvals(settings, pilothouse, client)
    return SlackWork(
        pipeline=pilothouse.pipeline,
        store=pilothouse.store,
        client=client,
        sink=sink,
        workspaces=connect_people(settings, pilothouse, client),
        webhook=lambda url: WebhookClient(url, retry_handlers=_retry_handlers(sink)),
    )


def create_app(settings: Settings, front_door: FrontDoor, client: WebClient, *, http: bool) -> App:
    """`http`: requests arrive over HTTP and must carry a valid signature (Socket Mode needs none)."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = App(
        client=client,
        signing_secret=secret,
        request_verification_enabled=http,
        url_verification_enabled=http,
        ssl_check_enabled=http,
        ignoring_self_events_enabled=True,
        process_before_response=False,  # ack first; our listeners hand the work to the Worker
        # Listeners only ack and hand over; as many may run as HTTP threads deliver (Bolt's default is 5).
        listener_executor=ThreadPoolExecutor(max_workers=settings.http_threads, thread_name_prefix="pilothouse-ack"),
        logger=logging.getLogger("pilothouse.slack"),
    )
    front_door.register(app, settings.slack_command)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Never a traceback in the channel: the person sees nothing from here, the log has it.
        log.error("unhandled error for a Slack %s request", body.get("type", "?"), exc_info=error)

    return app
