"""A message that is posted once and then edited in place, at most once per interval.

Long-running work (a rollout, a slow cluster) shows its progress in one message rather than a
stream of them. `chat.update` is rate limited (Tier 3), so updates are throttled: a newer state
replaces a pending one, the pending one goes out when the interval has passed, and the final
state is always delivered (at once, when asked: a rollout's end is news).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

from integrations.render.blocks import SlackMessage

log = logging.getLogger(__name__)

UPDATE_INTERVAL = 2.0  # seconds between edits of one message


class LiveMessage:
    def __init__(
        self,
        client: WebClient,
        channel: str,
        *,
        thread_ts: str | None = None,
        interval: float = UPDATE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._ts: str | None = None
        self._sent_at = float("-inf")
        self._pending: SlackMessage | None = None
        self._timer: threading.Timer | None = None
        self._finished = False

    @property
    def ts(self) -> str | None:
        """The message's timestamp once posted (its ID in the channel)."""
        return self._ts

    @property
    def channel(self) -> str:
        """The channel's ID (once posted, as Slack answered it: a DM's `D…` for a user's `U…`)."""
        return self._channel

    def show(self, message: SlackMessage) -> None:
        """Show this state: now if the interval allows, else as soon as it does (if still newest)."""
        with self._lock:
            if self._finished:
                return
            self._pending = message
            wait = self._sent_at + self._interval - self._clock()
            if wait <= 0:
                self._send_pending()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._on_timer)
                self._timer.daemon = True
                self._timer.start()

    def finish(self, message: SlackMessage, *, at_once: bool = False) -> None:
        """The final state: always delivered, after the interval since the last edit, or
        `at_once` when its news must not wait (a rollout's end: one edit more is within
        Slack's rate limit, and people are watching for it)."""
        with self._lock:
            self._finished = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._pending = message
            wait = 0.0 if at_once else self._sent_at + self._interval - self._clock()
        if wait > 0 and self._ts is not None:
            time.sleep(wait)
        with self._lock:
            self._send_pending()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if self._finished:
                return
            try:
                self._send_pending()
            except Exception as e:  # on a timer thread nobody else would hear of it; the next edit may work
                log.warning("could not edit a live message in %s: %s", self._channel, e)

    def _send_pending(self) -> None:
        message, self._pending = self._pending, None
        if message is None:
            return
        blocks = list(message.blocks) or None
        if self._ts is None:
            response = self._client.chat_postMessage(
                channel=self._channel, thread_ts=self._thread_ts, text=message.text, blocks=blocks
            )
            self._ts = str(response["ts"])
            self._channel = str(response.get("channel") or self._channel)  # edits need the channel ID
        else:
            self._client.chat_update(channel=self._channel, ts=self._ts, text=message.text, blocks=blocks)
        self._sent_at = self._clock()
