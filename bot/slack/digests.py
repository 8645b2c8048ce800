"""Posting scheduled digests to Slack: the short summary in the channel, details in its thread."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from commands.replies import Reply
from integrations.render.blocks import render_details, render_message

log = logging.getLogger(__name__)


class SlackPoster:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, channel: str, digest: Reply) -> None:
        top = render_message(digest, title="digest")
        posted = self._client.chat_postMessage(channel=channel, text=top.text, blocks=list(top.blocks))
        below = render_details(digest, title="digest")
        if below is None:
            return
        thread = str(posted["ts"])
        self._client.chat_postMessage(channel=channel, thread_ts=thread, text=below.text, blocks=list(below.blocks))
        if below.attachment is not None:
            self._client.files_upload_v2(
                channel=channel,
                thread_ts=thread,
                filename=below.attachment.filename,
                title=below.attachment.title,
                content=below.attachment.content,
            )
